import * as pulumi from "@pulumi/pulumi";
import { loadDeployConfig, LoadOptions } from "../config/deploy-yml";
import { hostEntry, hostKey, roleProxy, versionOf } from "./inputs";
import { heldBootOrder, heldRoles, holders, primaryRoleOf } from "../config/schema";
import type { KamalAppArgs, KamalAppConfig } from "../config/types";
import type { LockSpec } from "../provider/effects/lock";
import { parseAppConfig } from "../config/validate";
import { connectionTo } from "./connection";
import { warnIfLocked } from "./lock-check";
import { KamalProxy } from "./KamalProxy";
import { KamalRole } from "./KamalRole";
import { HookRun, roleUrls } from "./outputs";

export type { KamalAppArgs };

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

    /** The validated arguments, defaults applied. */
    readonly config: KamalAppConfig;
    readonly roles: Record<string, KamalRole> = {};
    readonly proxies: Record<string, KamalProxy> = {};
    /** The deployed version: `version`, else the image's tag or digest. */
    readonly version: pulumi.Output<string>;
    /** Per proxied role, its URLs: `https://host/prefix`, or `http://address[:port]` per host when no proxy host is set. */
    readonly urls: pulumi.Output<Record<string, string[]>>;
    /** The primary role's first URL (else the first proxied role's); undefined when no role is proxied. */
    readonly url: pulumi.Output<string | undefined>;
    /** Per role, the serving container's name per host address. */
    readonly containers: pulumi.Output<Record<string, Record<string, string>>>;
    /** Per role with a post-app-boot hook, the runs of its last deploy (host, container, exit code, timings, output tail). */
    readonly hookRuns: pulumi.Output<Record<string, HookRun[]>>;

    constructor(name: string, args: KamalAppArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pulumi-kamal:index:KamalApp", name, {}, opts);
        // Fails `pulumi preview` before anything touches a host.
        const app = (this.config = parseAppConfig(name, args));

        this.version = app.version !== undefined ? pulumi.output(app.version) : pulumi.output(app.image).apply(versionOf);

        // Kamal's deploy lock, on the primary host: every change on any host waits for it.
        const primaryHost = hostEntry(app.roles[primaryRoleOf(app)].hosts[0]).host;
        const lock: pulumi.Output<LockSpec> = pulumi.secret(pulumi.all([
            connectionTo(app.ssh, primaryHost), this.version,
        ]).apply(([connection, version]) => ({
            connection, service: app.service, ...(app.destination ? { destination: app.destination } : {}), version,
            stack: `${pulumi.getProject()}/${pulumi.getStack()}`,
        })));

        // preview takes no lock, but says when one is held.
        const lockCheck = pulumi.runtime.isDryRun() ? lock.apply(warnIfLocked) : undefined;

        const proxiesByRole: Record<string, Record<string, KamalProxy>> = {};
        for (const role of Object.keys(app.roles)) {
            if (!roleProxy(app, role)) continue;
            proxiesByRole[role] = {};
            app.roles[role].hosts.map(hostEntry).forEach(({ host, key: given }, i) => {
                const key = hostKey(host, i, given);
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

        // A paused hook's held roles boot beside its role, before its hook (the schema rules out cycles).
        const order = heldBootOrder(app);
        const heldBy = holders(app);
        const build = (role: string): KamalRole => {
            if (this.roles[role]) return this.roles[role];
            const holds = heldRoles(app, role);
            const after = order[role].filter((dep) => !holds.includes(dep)).flatMap((dep) => build(dep).gate);
            return (this.roles[role] = new KamalRole(`${name}-${role}`, {
                app, role, proxies: proxiesByRole[role], bootAfter: after, lock,
                holds: holds.map(build), held: heldBy[role] !== undefined,
            }, { parent: this }));
        };
        Object.keys(app.roles).forEach(build);

        this.urls = this.urlsOf(app);
        const primary = primaryRoleOf(app);
        this.url = this.urls.apply((u) => (u[primary] ?? Object.values(u)[0])?.[0]);
        this.containers = pulumi.all(Object.fromEntries(Object.entries(this.roles).map(([role, r]) => [role,
            pulumi.all(r.containers.map((c, i) => pulumi.all([hostEntry(app.roles[role].hosts[i]).host, c.containerName])))
                .apply((pairs) => Object.fromEntries(pairs))])));
        this.hookRuns = pulumi.all(Object.fromEntries(Object.entries(this.roles).filter(([, r]) => r.hooks.length)
            .map(([role, r]) => [role, pulumi.all(r.hooks.map((h) => h.runs)).apply((runs) => runs.flat())])));

        this.registerOutputs({
            roles: Object.keys(this.roles), version: this.version, urls: this.urls, url: this.url,
            containers: this.containers, hookRuns: this.hookRuns, ...(lockCheck ? { lockCheck } : {}),
        });
    }

    private urlsOf(app: KamalAppConfig): pulumi.Output<Record<string, string[]>> {
        const byRole: Record<string, pulumi.Output<string[]>> = {};
        for (const role of Object.keys(app.roles)) {
            const p = roleProxy(app, role);
            if (!p) continue;
            const names = pulumi.all(p.hosts ?? (p.host !== undefined ? [p.host] : []));
            const addresses = pulumi.all(app.roles[role].hosts.map((h) => hostEntry(h).host));
            byRole[role] = pulumi.all([names, addresses]).apply(([hostNames, addrs]) =>
                // ssl: true (Let's Encrypt) or a certificate: https either way.
                roleUrls({ hostNames, ssl: Boolean(p.ssl), pathPrefix: p.pathPrefix, ports: app.proxyPorts }, addrs));
        }
        return pulumi.all(byRole);
    }
}
