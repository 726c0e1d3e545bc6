import * as pulumi from "@pulumi/pulumi";
import {
    bootGroups, hostEntry, hostKey, proxyTarget, readErrorPages, roleCertificate, roleCmd, roleEnv, roleHealth, roleLabels, roleLogging, roleStopTimeout,
    roleVolumes, versionOf,
} from "./inputs";
import { absoluteImage } from "../provider/commands/kamal";
import type { KamalAppConfig } from "../config/types";
import { hookHosts } from "../provider/commands/hook";
import type { HeldRole, HookTarget } from "../provider/resources/role-hook";
import type { LockSpec } from "../provider/effects/lock";
import { connectionTo } from "./connection";
import { HOOK_STAGES, HookWiring, wiringOf } from "./hook-stages";
import { RoleContainer, RoleHook, TrafficSwitch } from "./resources";

export interface KamalRoleArgs {
    /** The whole validated app config (KamalApp parses it once). */
    app: KamalAppConfig;
    role: string;
    /** kamal-proxy per host key, for proxied roles. */
    proxies?: Record<string, pulumi.Resource>;
    /** Resources that must succeed before this role boots (other roles' gates). */
    bootAfter?: pulumi.Input<pulumi.Resource>[];
    /** The app's deploy lock: every change on a host waits for it. */
    lock?: pulumi.Input<LockSpec>;
    /** The roles this role's `paused` hook holds (built before it): the hook waits for their containers. */
    holds?: KamalRole[];
    /** Held by another role's `paused` hook: every host boots together and switches only after that hook. */
    held?: boolean;
}

/**
 * One role of an app. On each host: container (booted, healthy, no traffic)
 * -> post-app-boot hook -> traffic switch; `after-traffic` hooks follow the
 * switch. Nothing here waits on another role unless `bootAfter` says so.
 */
export class KamalRole extends pulumi.ComponentResource {
    readonly containers: RoleContainer[] = [];
    readonly switches: TrafficSwitch[] = [];
    readonly hooks: RoleHook[] = [];
    readonly role: string;
    /** What roles booting after this one wait for. */
    readonly gate: pulumi.Resource[];
    /** Each host's new container, as a hook sees it. @internal */
    readonly targets: pulumi.Output<HookTarget>[] = [];
    /** For a held role: what the holder's paused hook gives it to switch after. @internal */
    releaseAfter: (hook: pulumi.Resource) => void = () => undefined;

    constructor(name: string, args: KamalRoleArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pulumi-kamal:index:KamalRole", name, {}, opts);
        const { app, role } = args;
        this.role = role;
        const cfg = app.roles[role];
        const image = pulumi.output(app.image);
        const version = app.version !== undefined ? pulumi.output(app.version) : image.apply(versionOf);
        const proxy = proxyTarget(app, role);
        // Kamal's error pages and custom certificate, written by each host's switch.
        const pages = proxy && app.errorPagesPath ? readErrorPages(app.errorPagesPath) : undefined;
        const errorPages = pages ? version.apply((v) => ({ version: v, files: pages })) : undefined;
        const certificate = proxy ? roleCertificate(app, role) : undefined;
        const tlsCertificate = certificate ? (pulumi.secret(pulumi.output(certificate)) as pulumi.Output<{ certificatePem: string; privateKeyPem: string }>) : undefined;

        const hosts = cfg.hosts.map(hostEntry).map(({ host, tags, key }, i) => ({ key: hostKey(host, i, key), tags, connection: connectionTo(app.ssh, host) }));
        const hostInputs = cfg.hosts.map((h) => hostEntry(h).host);
        const health = roleHealth(app, role);

        const stage = HOOK_STAGES.postAppBoot;
        const hook = cfg.hooks?.[stage.key];
        const wiring = hook && wiringOf(hook);
        // A paused hook switches every host together (its own and the held roles'), so they boot together too.
        const groups = wiring?.oneGroup || args.held ? hosts.map(() => 0) : bootGroups(hosts.length, app.boot?.limit);
        // A held role's switches wait for the holder's hook, built after this role.
        const holder: pulumi.Input<pulumi.Resource>[] = [];
        if (args.held) holder.push(new Promise<pulumi.Resource>((resolve) => { this.releaseAfter = resolve; }));
        const holds = args.holds ?? [];
        // Held without a route: its new code must not meet the old schema, so its containers start after the hook.
        const waitsForHook = args.held === true && !proxy;

        const newContainer = (i: number, after: pulumi.Resource[]) => {
            const { key, tags, connection } = hosts[i];
            const env = roleEnv(app, role, tags);
            this.containers[i] = new RoleContainer(`${name}-${key}`, {
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
                logging: roleLogging(app, role),
                registry: app.registry ? (pulumi.secret(pulumi.output(app.registry)) as pulumi.Output<any>) : undefined,
                health,
                bootDelay: groups[i] > 0 ? app.boot?.wait ?? 0 : 0,
                tlsCertificate,
                ...(waitsForHook ? { startAfterHook: true } : {}),
                lock: args.lock,
            }, {
                parent: this,
                dependsOn: [...(args.proxies?.[key] ? [args.proxies[key]] : []), ...(args.bootAfter ?? []), ...after],
            });
        };
        const target = (i: number) => (this.targets[i] ??= pulumi.all([hosts[i].connection, this.containers[i].containerId, this.containers[i].containerName, this.containers[i].healthyAt])
            .apply(([connection, containerId, containerName, healthyAt]) => ({ connection, containerId, containerName, healthyAt })));
        const newHook = (suffix: string, targets: number[], dependsOn: pulumi.Resource[]) => {
            const h = new RoleHook(`${name}-${stage.name}${suffix}`, {
                service: app.service, role, destination: app.destination, stage: stage.name, version,
                command: hook!.command, when: hook!.when, runOn: hook!.runOn, timeout: hook!.timeout, env: hook!.env,
                targets: pulumi.secret(pulumi.all(targets.map(target))),
                runsOn: pulumi.all(hookHosts(hook!.runOn, targets).map((i) => hostInputs[i])),
                health,
                proxy,
                lock: args.lock,
                // The containers' secret env values, masked in the hook's output and errors.
                redact: pulumi.secret(pulumi.all(targets.map((i) => pulumi.all(roleEnv(app, role, hosts[i].tags).secret)))
                    .apply((envs) => [...new Set(envs.flatMap((e) => Object.values(e)))])),
                ...(wiring!.holds ? { held: pulumi.secret(pulumi.all(holds.map(heldRole))), holds: holds.map((r) => r.role) } : {}),
            }, { parent: this, dependsOn: wiring!.holds ? [...dependsOn, ...holds.flatMap((r) => r.containers)] : dependsOn });
            this.hooks.push(h);
            return h;
        };
        const heldRole = (r: KamalRole): pulumi.Output<HeldRole> => pulumi.all(r.containers.map((_, i) => r.targets[i])).apply((targets) => {
            const p = proxyTarget(app, r.role);
            const stop = roleStopTimeout(app, r.role);
            return { role: r.role, targets, health: roleHealth(app, r.role), ...(p ? { proxy: p } : {}), ...(stop !== undefined ? { stopTimeout: stop } : {}) };
        });
        const newSwitch = (i: number, dependsOn: pulumi.Input<pulumi.Resource>[]) => {
            return (this.switches[i] = new TrafficSwitch(`${name}-${hosts[i].key}`, {
                connection: hosts[i].connection,
                service: app.service,
                role,
                destination: app.destination,
                containerId: this.containers[i].containerId,
                containerName: this.containers[i].containerName,
                proxy,
                stopTimeout: roleStopTimeout(app, role),
                retainContainers: app.retainContainers,
                image: pulumi.all([image, version]).apply(([img, v]) => absoluteImage(img, v)),
                errorPages,
                tlsCertificate,
                ...(waitsForHook ? { health } : {}),
                lock: args.lock,
            }, { parent: this, dependsOn: [this.containers[i], ...holder, ...dependsOn] }));
        };

        /**
         * One boot group's hooks and switches, as the mode's wiring says:
         * which hosts each hook runs for, and whether traffic moves after or
         * before it. Returns what the next group waits for.
         */
        let once: RoleHook | undefined; // the hook on the role's first host (`runs: first`), shared by every group
        const wireHooks = (group: number[], w: HookWiring): pulumi.Resource[] => {
            const units = w.runs === "each" ? group.map((i) => [i]) : w.runs === "together" ? [group] : once ? [] : [[0]];
            const hookOf = new Map<number, RoleHook>();
            const switchedFirst = new Set<number>();
            for (const unit of units) {
                const suffix = w.runs === "each" ? `-${hosts[unit[0]].key}` : "";
                // before-hook: the hook waits until its hosts serve the new version; after-hook: until their containers are healthy.
                if (w.traffic === "before-hook") unit.forEach((i) => switchedFirst.add(i));
                const deps = unit.map((i) => (w.traffic === "before-hook" ? newSwitch(i, []) : this.containers[i]));
                const h = newHook(suffix, unit, deps);
                unit.forEach((i) => hookOf.set(i, h));
                if (w.runs === "first") once = h;
                if (w.holds) holds.forEach((r) => r.releaseAfter(h));
            }
            const switches = group.filter((i) => !switchedFirst.has(i)).map((i) => newSwitch(i, [hookOf.get(i) ?? once!]));
            // Traffic before the hook: the next group also waits for the hooks (the first host's one, for every group).
            const hooks = w.traffic === "before-hook" ? (w.runs === "first" ? [once!] : units.map((u) => hookOf.get(u[0])!)) : [];
            return [...hooks, ...switches];
        };

        // Group by group (Kamal's boot.limit): a group boots once the previous one serves.
        let previous: pulumi.Resource[] = [];
        for (let g = 0; g <= Math.max(...groups); g++) {
            const group = groups.flatMap((gi, i) => (gi === g ? [i] : []));
            group.forEach((i) => newContainer(i, previous));
            group.forEach((i) => target(i));
            previous = wiring ? wireHooks(group, wiring) : group.map((i) => newSwitch(i, []));
        }

        // Roles that boot after this one wait for its hook, or (as in Kamal) its first healthy container.
        this.gate = this.hooks.length ? [...this.hooks] : [this.containers[0]];
        this.registerOutputs({ containers: this.containers.map((c) => c.containerName) });
    }
}
