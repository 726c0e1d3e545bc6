/**
 * Effects on a role's containers on one host: inspect, start, wait for
 * health, list, retire, and the env file they read. Each runs command
 * builders' argv through a Transport; nothing here knows about Pulumi.
 */
import { randomBytes } from "node:crypto";
import * as docker from "../commands/docker";
import { envFile as kamalEnvFile } from "../commands/kamal";
import * as proxy from "../commands/proxy";
import { CommandError, run, tail, Transport, TransportError } from "../transport";
import { redactor } from "../redact";
import { sleep } from "./common";

export interface ContainerState {
    id: string;
    name: string;
    status: string;
    running: boolean;
    health?: string;
    startedAt?: string;
}

export async function inspect(t: Transport, ref: string): Promise<ContainerState | undefined> {
    const r = await t.exec(docker.inspectContainer(ref));
    if (r.code !== 0) return undefined;
    const [stateJson, id, name] = r.stdout.trim().split("\t");
    const state = JSON.parse(stateJson);
    return { id, name: name.replace(/^\//, ""), status: state.Status, running: state.Running, health: state.Health?.Status, startedAt: state.StartedAt };
}

/** The env file a role's containers read their secrets from (Kamal's layout, under the SSH user's home). */
export function envFilePath(service: string, role: string, destination?: string): string {
    return `.kamal/apps/${destination ? `${service}-${destination}` : service}/env/roles/${role}.env`;
}

/** The env file as Kamal's env file writer encodes it (escaped values; Docker reads them literally). */
export function envFileContent(env: Record<string, string>): string {
    return kamalEnvFile(env);
}

export async function writeEnvFile(t: Transport, path: string, env: Record<string, string>): Promise<string> {
    return (await run(t, docker.writePrivateFile(path), { stdin: envFileContent(env) })).trim();
}

/**
 * Starts a container under `spec.name`. A stopped leftover of that name (a
 * failed attempt, or one created but never started) is removed; a running one
 * (same version, new config, or booted by a run whose state was never
 * recorded) is renamed aside and retired later by the traffic switch, as Kamal
 * does. A `docker run` that fails leaves no Created container behind.
 * `start: false` only creates it (`docker create`), the same way.
 */
export async function startContainer(t: Transport, spec: docker.RunSpec, start = true): Promise<string> {
    const argv = start ? docker.run(spec) : docker.create(spec);
    // Run first: the name is free on almost every deploy, so look at the host only on a failure.
    for (let attempt = 0; ; attempt++) {
        const r = await t.exec(argv);
        if (r.code === 0) return r.stdout.trim();
        const existing = await inspect(t, spec.name);
        if (/is already in use/.test(r.stderr)) {
            // Someone else's container holds the name; take it over once (another process may race us again).
            if (attempt > 0) throw new CommandError(t.host, argv, r);
            if (existing?.running) await run(t, docker.rename(existing.id, `${spec.name}_replaced_${randomBytes(4).toString("hex")}`));
            else if (existing) await run(t, docker.remove(existing.id));
            continue;
        }
        // Created, then failed to start (e.g. a network problem): remove it, no state will ever track it.
        if (existing && !existing.running) await t.exec(docker.remove(existing.id));
        throw new CommandError(t.host, argv, r);
    }
}

export type Health =
    | { kind: "proxy"; target: Omit<proxy.DeployTarget, "target" | "service"> & { service: string }; appPort: number }
    | { kind: "docker"; readinessDelay: number; deployTimeout: number };

export class UnhealthyError extends Error {
    constructor(host: string, container: string, reason: string, logs: string) {
        super(`${host}: container ${container} did not become healthy: ${reason}${logs ? `\n--- last log lines ---\n${logs}` : ""}`);
        this.name = "UnhealthyError";
    }
}

/**
 * Waits until a new container is healthy, WITHOUT routing traffic to it.
 * Proxied roles: kamal-proxy's own health test on a throwaway service.
 * Others: Docker's health status, or still running after readinessDelay.
 */
export async function waitHealthy(t: Transport, id: string, health: Health, secrets: Iterable<string> = []): Promise<void> {
    const short = id.slice(0, 12);
    try {
        if (health.kind === "proxy") {
            const check = proxy.preflight({ ...health.target, target: proxy.upstream(id, health.appPort) }, short);
            try {
                await run(t, check.deploy);
            } finally {
                // Best effort: a host that just went silent must not replace the first error with this one's.
                await t.exec(check.remove).catch(() => undefined);
            }
            return;
        }
        const deadline = Date.now() + health.deployTimeout * 1000;
        const readyAt = Date.now() + health.readinessDelay * 1000;
        for (;;) {
            const state = await inspect(t, id);
            if (!state || !state.running) throw new Error(`it is ${state?.status ?? "gone"}`);
            if (state.health === "healthy") return;
            if (state.health === "unhealthy") throw new Error("Docker reports it unhealthy");
            if (state.health === undefined && Date.now() >= readyAt) return;
            if (Date.now() >= deadline) throw new Error(`still ${state.health ?? "starting"} after deployTimeout ${health.deployTimeout}s`);
            // No HEALTHCHECK: nothing changes before readyAt but a crash, which the check at readyAt sees.
            await sleep(state.health === undefined ? Math.max(50, Math.min(readyAt, deadline) - Date.now()) : 500);
        }
    } catch (e) {
        // The host, not the container, failed (connection lost, step timed out): say that, and ask it nothing more.
        if (e instanceof TransportError) throw e;
        const logs = await t.exec(docker.logs(id, 20)).catch(() => undefined);
        const reason = e instanceof CommandError ? tail(e.result.stderr || e.result.stdout, 5) : (e as Error).message;
        // The app's own log lines may print its secret env: masked.
        throw new UnhealthyError(t.host, short, reason, logs ? tail(redactor(secrets)(`${logs.stdout}${logs.stderr}`), 20) : "");
    }
}

/** A container this deploy booted, which must still exist (a refresh and an up boot it again). */
export async function mustExist(t: Transport, c: { containerId: string; containerName: string }): Promise<ContainerState> {
    const state = await inspect(t, c.containerId);
    if (!state) throw new TransportError(t.host, `container ${c.containerName} is gone; run \`pulumi refresh\` then \`pulumi up\` to boot it again`);
    return state;
}

/**
 * Starts it unless it runs and checks its health again: a retry may find it
 * stopped by the failed attempt, a held role's container waits created.
 */
export async function ensureRunningAndHealthy(t: Transport, c: { containerId: string; containerName: string }, health: Health, redact: string[] = []): Promise<void> {
    const state = await mustExist(t, c);
    if (state.running) return;
    await run(t, docker.start(c.containerId));
    await waitHealthy(t, c.containerId, health, redact);
}

export interface RoleRef {
    service: string;
    role: string;
    destination?: string;
}

/** Docker IDs compare by prefix: a short and a full ID name the same container. */
export const sameContainer = (a: string, b: string): boolean => a.startsWith(b) || b.startsWith(a);

interface Listed {
    id: string;
    name: string;
    state: string;
    created: string;
}

export async function listRole(t: Transport, ref: RoleRef): Promise<Listed[]> {
    const out = await run(t, docker.listRoleContainers(ref.service, ref.role));
    return out.split("\n").filter(Boolean).map((line) => line.split("\t"))
        .filter((f) => (f[4] ?? "") === (ref.destination ?? ""))
        .map(([id, name, state, created]) => ({ id, name, state, created }))
        .sort((a, b) => b.created.localeCompare(a.created));
}

/** A container in one of these states still has its process: it may run code. */
export const isLive = (c: { state: string }): boolean => c.state === "running" || c.state === "restarting" || c.state === "paused";

/** The role's running containers on the host other than `ours`, newest first. */
export async function othersRunning(t: Transport, ref: RoleRef, ours: string): Promise<Listed[]> {
    return (await listRole(t, ref)).filter((c) => c.state === "running" && !sameContainer(c.id, ours));
}

/** After a switch: stop the role's other containers (pruning, service-wide as Kamal's, is layout.pruneService). */
export async function retireOthers(t: Transport, ref: RoleRef, keepId: string, stopTimeout: number | undefined): Promise<string[]> {
    const others = (await listRole(t, ref)).filter((c) => !sameContainer(c.id, keepId));
    const running = others.filter(isLive);
    for (const c of running) await run(t, docker.stop(c.id, stopTimeout));
    return running.map((c) => c.name);
}
