/**
 * The traffic switch for one role on one host: kamal-proxy moves requests to
 * the new container (health-checked, old one drained), then the role's other
 * containers stop, keeping `retainContainers` for rollback; and on destroy,
 * the route removed. The sequences behind ../resources/traffic-switch.ts.
 */
import { cleanErrorPages, latestImage, proxyAppHostDir, removeProxyDir, writeProxyFile } from "../commands/kamal";
import * as proxyCmd from "../commands/proxy";
import type { TrafficSwitchInputs, TrafficSwitchOutputs } from "../resources/traffic-switch";
import { CommandError, run, Transport } from "../transport";
import { traced } from "../trace";
import { progress, transport } from "./common";
import { ensureRunningAndHealthy, retireOthers } from "./containers";
import { audit, pruneService, tagLatest, writeCertificate } from "./layout";
import { disarmLeftWatchdogs, proxyRunning, routedElsewhere } from "./proxy";

/** Where kamal-proxy routes the role: its service settings and our container as the upstream. */
export function switchTarget(i: TrafficSwitchInputs): proxyCmd.DeployTarget | undefined {
    if (!i.proxy) return undefined;
    const { appPort, ...target } = i.proxy;
    return { ...target, target: proxyCmd.upstream(i.containerId, appPort) };
}

/** Destroy: the role's certificate and (unless someone else's container serves it now) its route. */
export async function unroute(olds: TrafficSwitchOutputs): Promise<void> {
    const t = transport(olds.connection);
    // A private key must not outlive the app on the host.
    if (olds.tlsCertificate) await run(t, removeProxyDir(`${proxyAppHostDir(olds.service, olds.destination)}/tls/${olds.role}`));
    if (!(await proxyRunning(t))) return;
    // Destroy removes what its own state deployed: a route another state (or Kamal) switched since stays.
    const serving = await routedElsewhere(t, olds.proxy!.service, olds.containerId).catch(() => undefined);
    if (serving) {
        progress(`[${olds.role}@${t.host}] kamal-proxy routes ${olds.proxy!.service} to ${serving.name}, which this stack did not deploy: route left in place`);
        return;
    }
    const argv = proxyCmd.remove(olds.proxy!.service);
    const r = await t.exec(argv);
    // Already gone is what we wanted.
    if (r.code !== 0 && !/not found/i.test(r.stderr)) throw new CommandError(t.host, argv, r);
}

/**
 * The role's route as a finished switch leaves it, whatever an interrupted
 * deploy left: its health-check routes removed (a role boots one container per
 * host at a time, so once it switched none is in use), the watchdogs a dead
 * `paused` deploy left disarmed (firing later, they would route back to the
 * container it replaced), and the route resumed if that deploy left it paused.
 * A deploy holds the lock: no other one is pausing it now.
 */
async function tidyRoutes(t: Transport, role: string, service: string): Promise<void> {
    // A proxy image without `sh` has no watchdogs to disarm: never a reason to fail the switch.
    const [listed] = await Promise.all([t.exec(proxyCmd.list()), disarmLeftWatchdogs(t, role, service).catch(() => undefined)]);
    if (listed.code !== 0) return;
    const routes = proxyCmd.parseProxyList(listed.stdout);
    const stale = Object.keys(routes).filter((s) => s.startsWith(`${service}-preflight-`));
    for (const s of stale) await t.exec(proxyCmd.remove(s));
    if (stale.length) progress(`[${t.host}] removed health-check routes left by an interrupted deploy: ${stale.join(", ")}`);
    if (routes[service]?.state === "paused") {
        await run(t, proxyCmd.resume(service));
        progress(`[${role}@${t.host}] resumed ${service}, left paused by an interrupted deploy`);
    }
}

/** `first`: this stack's first switch of the role on this host, so the containers it stops were deployed by someone else. */
export async function switchTraffic(i: TrafficSwitchInputs, first = false): Promise<TrafficSwitchOutputs> {
    const t = transport(i.connection);
    const target = switchTarget(i);
    if (target) {
        await writeProxyFiles(t, i, target);
        progress(`[${i.role}@${t.host}] switching traffic to ${i.containerName}`);
        await traced(`switch/${i.role}`, t.host, "switch", () => run(t, proxyCmd.deploy(target)));
    }
    // A held role's container its hook did not start (the hook did not run again): healthy before the old ones stop.
    if (!target && i.health) await ensureRunningAndHealthy(t, i, i.health);
    const [retired] = await Promise.all([
        traced(`switch/${i.role}`, t.host, "retire", () => retireOthers(t, i, i.containerId, i.stopTimeout)),
        target ? tidyRoutes(t, i.role, target.service) : undefined,
    ]);
    if (target && i.errorPages) await run(t, cleanErrorPages(`${proxyAppHostDir(i.service, i.destination)}/error_pages`, i.errorPages.version));
    if (retired.length) progress(`[${i.role}@${t.host}] stopped ${retired.join(", ")}`);
    if (retired.length && first) {
        progress(`[${i.role}@${t.host}] ${retired.join(", ")} ran without being in this stack's state (another Pulumi state or Kamal deployed it): ` +
            `this stack now serves the role; deploy from it only. Destroying the other state leaves what this stack deployed in place.`);
    }
    if (i.image) {
        // Kamal's layout after a boot: the latest tag, then `prune all`, each in the audit log (written alongside).
        await Promise.all([audit(t, i, `Tagging ${i.image} as the latest image`), tagLatest(t, i.image, i.destination)]);
        const service = { ...i, role: undefined };
        const [pruned] = await Promise.all([
            pruneService(t, i.service, i.retainContainers, latestImage(i.image, i.destination)),
            audit(t, service, "Pruned containers").then(() => audit(t, service, "Pruned images")),
        ]);
        if (pruned.containers.length || pruned.images.length) {
            progress(`[${i.role}@${t.host}] pruned ${pruned.containers.length} stopped container(s), ${pruned.images.length} image tag(s)`);
        }
    }
    return { ...i, retired, switchedAt: Date.now(), drift: [] };
}

/**
 * Kamal's files under .kamal/proxy/apps-config, before the switch that uses
 * them: this version's error pages, the role's certificate and key (on stdin).
 */
async function writeProxyFiles(t: Transport, i: TrafficSwitchInputs, target: proxyCmd.DeployTarget): Promise<void> {
    const dir = proxyAppHostDir(i.service, i.destination);
    if (i.errorPages) {
        for (const [name, html] of Object.entries(i.errorPages.files)) {
            await run(t, writeProxyFile(`${dir}/error_pages/${i.errorPages.version}/${name}`), { stdin: html });
        }
        target.errorPages = `${proxyCmd.APPS_CONFIG_MOUNT}/${dir.slice(proxyCmd.APPS_CONFIG_DIR.length + 1)}/error_pages/${i.errorPages.version}`;
    }
    if (i.tlsCertificate && target.tlsCertificatePath) await writeCertificate(t, i, i.tlsCertificate);
}
