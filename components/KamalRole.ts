import * as pulumi from "@pulumi/pulumi";
import {
    hostEntry, hostKey, proxyTarget, roleCmd, roleEnv, roleHealth, roleLabels, roleVolumes, versionOf,
} from "../config/resolve";
import type { KamalAppConfig } from "../config/schema";
import { connectionTo } from "./connection";
import { RoleContainer, TrafficSwitch } from "./resources";

export interface KamalRoleArgs {
    /** The whole validated app config (KamalApp parses it once). */
    app: KamalAppConfig;
    role: string;
    /** kamal-proxy per host key, for proxied roles. */
    proxies?: Record<string, pulumi.Resource>;
    /** Resources that must succeed before this role boots (other roles' gates). */
    bootAfter?: pulumi.Input<pulumi.Resource>[];
}

/** One role of an app: on each host, container -> traffic switch. */
export class KamalRole extends pulumi.ComponentResource {
    readonly containers: RoleContainer[] = [];
    readonly switches: TrafficSwitch[] = [];
    /** What roles booting after this one wait for. */
    readonly gate: pulumi.Resource[];

    constructor(name: string, args: KamalRoleArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pulumi-kamal:index:KamalRole", name, {}, opts);
        const { app, role } = args;
        const cfg = app.roles[role];
        const image = pulumi.output(app.image);
        const version = app.version !== undefined ? pulumi.output(app.version) : image.apply(versionOf);
        const proxy = proxyTarget(app, role);

        cfg.hosts.map(hostEntry).forEach(({ host, tags }, i) => {
            const key = hostKey(host, i);
            const connection = connectionTo(app.ssh, host);
            const env = roleEnv(app, role, tags);
            const container = new RoleContainer(`${name}-${key}`, {
                connection,
                service: app.service,
                role,
                destination: app.destination,
                version,
                image,
                cmd: roleCmd(cfg),
                env: pulumi.output(env.clear),
                secretEnv: pulumi.secret(pulumi.output(env.secret)),
                labels: roleLabels(app, role),
                volumes: roleVolumes(app, role),
                options: cfg.options ?? {},
                logging: cfg.logging ?? app.logging,
                registry: app.registry ? pulumi.secret(pulumi.output(app.registry)) as any : undefined,
                health: roleHealth(app, role),
            }, {
                parent: this,
                dependsOn: [...(args.proxies?.[key] ? [args.proxies[key]] : []), ...(args.bootAfter ?? [])],
            });
            this.containers.push(container);

            const release = new TrafficSwitch(`${name}-${key}`, {
                connection,
                service: app.service,
                role,
                destination: app.destination,
                containerId: container.containerId,
                containerName: container.containerName,
                proxy,
                stopTimeout: cfg.stopTimeout,
                retainContainers: app.retainContainers,
            }, { parent: this, dependsOn: [container] });
            this.switches.push(release);
        });

        // As in Kamal, waiting roles go once the first host's container is healthy.
        this.gate = [this.containers[0]];
        this.registerOutputs({ containers: this.containers.map((c) => c.containerName) });
    }
}
