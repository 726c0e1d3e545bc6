import * as pulumi from "@pulumi/pulumi";
import { loadDeployConfig, LoadOptions } from "../config/deploy-yml";
import { hostEntry, hostKey, roleProxy, versionOf } from "../config/resolve";
import { bootOrder, KamalAppConfig, KamalAppInput, primaryRoleOf } from "../config/schema";
import type { LockSpec } from "../provider/lock";
import { parseAppConfig } from "../config/validate";
import { connectionTo } from "./connection";
import { warnIfLocked } from "./lock-check";
import { KamalProxy } from "./KamalProxy";
import { KamalRole } from "./KamalRole";

export type KamalAppArgs = KamalAppInput;

/**
 * A Kamal-style app: kamal-proxy on each proxied host, then every role's
 * containers, roles ordered by `bootAfter` (default: after the primary role).
 */
export class KamalApp extends pulumi.ComponentResource {
    /**
     * A KamalApp from Kamal's `config/deploy.yml` (with `config/deploy.DEST.yml`
     * and the `.kamal/secrets*` files for `destination`). Invalid settings throw
     * a KamalConfigError listing every problem as `file:line: key: message`,
     * before anything touches a host; settings we ignore are logged as warnings.
     */
    static fromDeployYml(name: string, options: LoadOptions = {}, opts?: pulumi.ComponentResourceOptions): KamalApp {
        const loaded = loadDeployConfig(options);
        const app = new KamalApp(name, loaded.args, opts);
        for (const warning of loaded.warnings) void pulumi.log.warn(warning, app);
        return app;
    }

    readonly config: KamalAppConfig;
    readonly roles: Record<string, KamalRole> = {};
    readonly proxies: Record<string, KamalProxy> = {};

    constructor(name: string, args: KamalAppArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pulumi-kamal:index:KamalApp", name, {}, opts);
        // Fails `pulumi preview` before anything touches a host.
        const app = (this.config = parseAppConfig(name, args));

        // Kamal's deploy lock, on the primary host: every change on any host waits for it.
        const primaryHost = hostEntry(app.roles[primaryRoleOf(app)].hosts[0]).host;
        const lock: pulumi.Output<LockSpec> = pulumi.secret(pulumi.all([
            connectionTo(app.ssh, primaryHost),
            app.version !== undefined ? pulumi.output(app.version) : pulumi.output(app.image).apply(versionOf),
        ]).apply(([connection, version]) => ({
            connection, service: app.service, ...(app.destination ? { destination: app.destination } : {}), version,
            stack: `${pulumi.getProject()}/${pulumi.getStack()}`,
        })));

        // preview takes no lock, but says when one is held.
        const lockCheck = pulumi.runtime.isDryRun() ? lock.apply((spec) => warnIfLocked(spec, this)) : undefined;

        const proxiesByRole: Record<string, Record<string, KamalProxy>> = {};
        for (const role of Object.keys(app.roles)) {
            if (!roleProxy(app, role)) continue;
            proxiesByRole[role] = {};
            app.roles[role].hosts.map(hostEntry).forEach(({ host }, i) => {
                const key = hostKey(host, i);
                // Hosts known now share one proxy resource; deferred hosts get one per role.
                const id = typeof host === "string" ? key : `${role}-${key}`;
                this.proxies[id] ??= new KamalProxy(`${name}-proxy-${id}`, {
                    connection: connectionTo(app.ssh, host),
                    image: app.proxyImage,
                    httpPort: app.proxyPorts.http,
                    httpsPort: app.proxyPorts.https,
                    lock,
                }, { parent: this });
                proxiesByRole[role][key] = this.proxies[id];
            });
        }

        const order = bootOrder(app);
        const build = (role: string): KamalRole => {
            if (this.roles[role]) return this.roles[role];
            const after = order[role].flatMap((dep) => build(dep).gate);
            return (this.roles[role] = new KamalRole(`${name}-${role}`, {
                app, role, proxies: proxiesByRole[role], bootAfter: after, lock,
            }, { parent: this }));
        };
        Object.keys(app.roles).forEach(build);

        this.registerOutputs({ roles: Object.keys(this.roles), ...(lockCheck ? { lockCheck } : {}) });
    }
}
