/**
 * Per-host setup that several resources run on the same host at the same
 * time (the `kamal` network, registry login, image pulls): each step is
 * single-flight per host inside the provider process, and checked on the host
 * afterwards, because another process (another stack, Kamal) may race us.
 */
import { createHash } from "node:crypto";
import * as docker from "../commands/docker";
import * as registryCmd from "../commands/registry";
import { CommandError, run, Transport, TransportError } from "../transport";

export interface Registry {
    server?: string;
    username: string;
    password: string;
}

const inFlight = new Map<string, Promise<unknown>>();

/** Concurrent callers with the same key share one run; the next call after it settles runs again. */
export function singleFlight<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const running = inFlight.get(key) as Promise<T> | undefined;
    if (running) return running;
    const p = fn().finally(() => inFlight.delete(key));
    inFlight.set(key, p);
    return p;
}

interface Network {
    id: string;
    created: string;
}

async function kamalNetworks(t: Transport): Promise<Network[]> {
    const out = await run(t, docker.networkList());
    return out.split("\n").map((l) => l.split("\t"))
        .filter((f) => f[1] === docker.KAMAL_NETWORK)
        .map(([id, , created]) => ({ id, created: created ?? "" }));
}

/**
 * Exactly one `kamal` network on the host. Docker's name check is not atomic:
 * two `network create` at once can make two networks of the same name, and
 * then every `docker run --network kamal` fails as ambiguous. So: create only
 * when missing, then look again and repair duplicates.
 */
export function ensureNetwork(t: Transport): Promise<void> {
    return singleFlight(`${t.host}|network`, async () => {
        if ((await t.exec(docker.networkInspect())).code === 0) return;
        let found = await kamalNetworks(t);
        if (found.length === 0) {
            const argv = docker.networkCreate();
            const created = await t.exec(argv);
            // Another process may have won the race: "already exists" is success.
            if (created.code !== 0 && !/already exists/.test(created.stderr)) throw new CommandError(t.host, argv, created);
            found = await kamalNetworks(t);
        }
        if (found.length > 1) await repairNetworks(t, found);
    });
}

/**
 * Keeps one `kamal` network: the one with containers attached (else the
 * oldest; every racer picks the same one) and removes the empty others.
 * Two networks that both have containers are left alone with the commands to fix it.
 */
export async function repairNetworks(t: Transport, networks: Network[]): Promise<void> {
    const withCount = await Promise.all(networks.map(async (n) => {
        const r = await t.exec(docker.networkContainers(n.id));
        return { ...n, containers: r.code === 0 ? Number(r.stdout.trim()) || 0 : 0, gone: r.code !== 0 };
    }));
    const live = withCount.filter((n) => !n.gone);
    if (live.length <= 1) return;
    const sorted = [...live].sort((a, b) => b.containers - a.containers || a.created.localeCompare(b.created) || a.id.localeCompare(b.id));
    if (sorted[1].containers > 0) {
        const [keep, ...others] = sorted.map((n) => n.id.slice(0, 12));
        throw new TransportError(t.host, `${live.length} Docker networks are named "kamal" (${live.map((n) => n.id.slice(0, 12)).join(", ")}) and more than one has containers, ` +
            `so \`docker run --network kamal\` fails as ambiguous. Fix it on ${t.host}: for each container on ${others.join(", ")} ` +
            `(\`docker network inspect --format '{{range .Containers}}{{.Name}} {{end}}' ID\`) run \`docker network disconnect ID NAME && docker network connect ${keep} NAME\`, ` +
            `then \`docker network rm ${others.join(" ")}\`; then run the deploy again`);
    }
    for (const extra of sorted.slice(1)) {
        const argv = docker.networkRemove(extra.id);
        const r = await t.exec(argv);
        // Already removed by another racer is what we wanted.
        if (r.code !== 0 && !/not found|no such network/i.test(r.stderr)) throw new CommandError(t.host, argv, r);
    }
    process.stderr.write(`${t.host}: removed ${sorted.length - 1} duplicate empty "kamal" network(s), kept ${sorted[0].id.slice(0, 12)}\n`);
}

/**
 * Log in (when a registry is configured) and pull; without a registry, pull
 * only what is missing. Roles pulling the same image on one host share one pull.
 */
export async function ensureImage(t: Transport, image: string, registry?: Registry): Promise<void> {
    if (registry) {
        const who = createHash("sha256").update(JSON.stringify(registry)).digest("hex");
        await singleFlight(`${t.host}|login|${who}`, () => login(t, registry));
    } else if ((await t.exec(docker.imageInspect(image))).code === 0) {
        return;
    }
    await singleFlight(`${t.host}|pull|${image}`, () => run(t, docker.pull(image)));
}

/** What `docker login` stores, written with every credential on stdin (see ./commands/registry). */
async function login(t: Transport, registry: Registry): Promise<void> {
    const current = await run(t, registryCmd.readDockerConfig());
    let plan: registryCmd.LoginPlan;
    try {
        plan = registryCmd.planLogin(current, registry.server, registry.username, registry.password);
    } catch (e) {
        throw new TransportError(t.host, `cannot store the registry login: ${(e as Error).message}`);
    }
    await run(t, plan.kind === "helper" ? plan.argv : registryCmd.writeDockerConfig(), { stdin: plan.stdin });
}

/**
 * Network, registry login and pull: once per host and image for the provider
 * process (one deployment), shared by every role on that host. A failure is
 * forgotten, so a later resource tries again.
 */
const prepared = new WeakMap<Transport, Map<string, Promise<void>>>();
export function prepareHost(t: Transport, image: string, registry?: Registry): Promise<void> {
    const byKey = prepared.get(t) ?? prepared.set(t, new Map()).get(t)!;
    const key = JSON.stringify([image, registry?.server, registry?.username, registry?.password]);
    let done = byKey.get(key);
    if (!done) {
        done = (async () => {
            await ensureNetwork(t);
            await ensureImage(t, image, registry);
        })();
        byKey.set(key, done);
        done.catch(() => byKey.delete(key));
    }
    return done;
}
