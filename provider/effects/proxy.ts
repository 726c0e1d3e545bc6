/**
 * Effects on kamal-proxy itself on one host: `kamal proxy boot` (start,
 * adopt, or restart it; check it is a version Kamal drives) and its removal.
 */
import * as docker from "../commands/docker";
import * as proxy from "../commands/proxy";
import { disarmStaleWatchdogs } from "../commands/watchdog";
import { CommandError, run, tail, Transport } from "../transport";
import { progress, sleep } from "./common";
import { ContainerState, inspect, sameContainer } from "./containers";
import { ensureImage, ensureNetwork, singleFlight } from "./host-setup";

export async function proxyRunning(t: Transport): Promise<boolean> {
    return (await inspect(t, proxy.PROXY_CONTAINER))?.running ?? false;
}

/**
 * The running container kamal-proxy routes `service` to on this host, unless
 * it is `ours`: what really serves, as kamal-proxy sees it (the role's
 * containers in `docker ps` only say what could). Undefined when the route
 * is missing, points at ours, or at a container that no longer runs.
 */
export async function routedElsewhere(t: Transport, service: string, ours: string): Promise<ContainerState | undefined> {
    return (await currentRoute(t, service, ours)).serving;
}

/** `routedElsewhere`, and whether kamal-proxy holds the route's requests (paused). */
export async function currentRoute(t: Transport, service: string, ours: string): Promise<{ serving?: ContainerState; paused: boolean }> {
    const route = proxy.parseProxyList(await run(t, proxy.list()))[service];
    const paused = route?.state === "paused";
    const [target] = (route?.target ?? "").split(":");
    if (!target || sameContainer(target, ours)) return { paused };
    const serving = await inspect(t, target);
    return { serving: serving?.running ? serving : undefined, paused };
}

/**
 * Disarms the watchdogs a dead `paused` deploy left for `service` on this
 * host. Only under the deploy lock, where any armed one is such a leftover:
 * firing later, it would route back and resume in the middle of this deploy.
 */
export async function disarmLeftWatchdogs(t: Transport, role: string, service: string): Promise<void> {
    const removed = (await run(t, disarmStaleWatchdogs(service))).split("\n").filter(Boolean);
    if (removed.length) progress(`[${role}@${t.host}] disarmed ${removed.length} watchdog(s) left by an interrupted deploy of ${service}; this deploy takes over its route`);
}

/** Ensure kamal-proxy runs; returns whether we started it (so destroy only removes what it made). */
export function ensureProxy(t: Transport, spec: proxy.ProxyRunSpec): Promise<{ created: boolean }> {
    return singleFlight(`${t.host}|proxy`, () => startProxy(t, spec));
}

async function startProxy(t: Transport, spec: proxy.ProxyRunSpec): Promise<{ created: boolean }> {
    await ensureNetwork(t);
    const existing = await inspect(t, proxy.PROXY_CONTAINER);
    let created = false;
    if (existing && !existing.running) {
        await run(t, docker.start(existing.id));
    } else if (!existing) {
        await ensureImage(t, spec.image);
        const argv = proxy.runProxy(spec);
        const r = await t.exec(argv);
        if (r.code === 0) created = true;
        // Another process booted it meanwhile: adopt theirs.
        else if (!/already in use/.test(r.stderr)) throw new CommandError(t.host, argv, r);
        else if (!(await inspect(t, proxy.PROXY_CONTAINER))?.running) await run(t, docker.start(proxy.PROXY_CONTAINER));
    }
    // Ready when its control socket answers.
    for (let i = 0; ; i++) {
        const r = await t.exec(proxy.list());
        if (r.code === 0) break;
        if (i > 50) throw new Error(`${t.host}: kamal-proxy did not start: ${tail(r.stderr, 3)}`);
        await sleep(200);
    }
    return { created };
}

/**
 * `kamal proxy boot`: the apps-config directory, then start or run the proxy
 * with Kamal's mounts; an adopted proxy must be a version Kamal drives.
 */
export async function bootProxy(t: Transport, i: Omit<proxy.ProxyRunSpec, "appsConfigDir">): Promise<{ created: boolean }> {
    const appsConfigDir = (await run(t, proxy.ensureAppsConfigDir())).trim();
    const result = await ensureProxy(t, { image: i.image, httpPort: i.httpPort, httpsPort: i.httpsPort, appsConfigDir });
    const [image, mounts = ""] = (await run(t, proxy.inspectProxy())).trim().split("\t");
    if (proxy.olderThanMinimum(image)) {
        throw new Error(`${t.host}: kamal-proxy runs ${image}, older than ${proxy.MINIMUM_PROXY_VERSION} (the oldest Kamal 2.12 drives): run \`kamal proxy reboot\`, or \`docker rm -f kamal-proxy\` on the host and deploy again`);
    }
    if (!mounts.split(" ").includes(proxy.APPS_CONFIG_MOUNT)) {
        progress(`[${t.host}] kamal-proxy lacks Kamal's ${proxy.APPS_CONFIG_DIR} mount (started by an older tool): error pages and custom certificates need \`kamal proxy reboot\``);
    }
    return result;
}

/** Removes kamal-proxy only when it runs with no services left: other apps may share it. */
export async function removeIdleProxy(t: Transport): Promise<void> {
    if (!(await proxyRunning(t))) return;
    const services = (await run(t, proxy.list())).split("\n").slice(1).filter((l) => l.trim());
    if (services.length === 0) await run(t, docker.remove(proxy.PROXY_CONTAINER));
}
