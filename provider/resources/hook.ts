/**
 * A role's post-app-boot hook: `docker exec` in the role's new container the
 * moment it is healthy. Before traffic (default), after traffic, or around a
 * service-wide paused switch (./paused.ts), which waits for the roles it holds.
 */
import { randomUUID } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import * as docker from "../commands/docker";
import * as hookCmd from "../commands/hook";
import * as proxyCmd from "../commands/proxy";
import { Health, inspect, waitHealthy } from "../operations";
import { holdLock, LockSpec } from "../lock";
import { run, SshTarget, tail, Transport, TransportError } from "../transport";
import { runPaused } from "./paused";
import { traced } from "../trace";
import { onShutdown, SHUTDOWN_LIMIT_MS, until } from "../shutdown";
import { changedKeys, progress, transport } from "./common";
import { rerunKeys } from "./hook-diff";
import { redactor } from "../redact";

export interface HookTarget {
    connection: SshTarget;
    containerId: string;
    containerName: string;
    healthyAt: number;
}

export interface HookInputs {
    service: string;
    role: string;
    destination?: string;
    version: string;
    command: string | string[];
    when: "before-traffic" | "after-traffic" | "paused";
    runOn: "primary" | "all";
    timeout: number;
    env: Record<string, string>;
    /** Where the hook runs; for `paused`, every host of the role (all are paused and switched together). */
    targets: HookTarget[];
    /** The hosts it will run on, in plain sight for `pulumi preview` (targets are secret: they carry SSH keys). */
    runsOn: string[];
    health: Health;
    /** For `paused`: the role's kamal-proxy service and switch settings. */
    proxy?: Omit<proxyCmd.DeployTarget, "target"> & { appPort: number };
    /** The deploy lock this resource's host changes wait for (absent in states written before it existed). */
    lock?: LockSpec;
    /** Secret values the container can see (its secret env): masked in the hook's output and errors. */
    redact?: string[];
    /** For `paused`: the other roles held while the hook runs (secret: their targets carry SSH keys). */
    held?: HeldRole[];
    /** Their names, in plain sight for `pulumi preview`. */
    holds?: string[];
}

/** A role held by a `paused` hook: proxied ones are paused and switched, others stopped and started again. */
export interface HeldRole {
    role: string;
    /** Every host's new container of the role. */
    targets: HookTarget[];
    health: Health;
    proxy?: Omit<proxyCmd.DeployTarget, "target"> & { appPort: number };
    stopTimeout?: number;
}

export interface HookRun {
    host: string;
    container: string;
    exitCode: number;
    durationMs: number;
    /** From the container passing its health check to the hook starting. */
    healthyToStartMs: number;
    startedAt: number;
    outputTail: string;
}

export interface HookOutputs extends HookInputs {
    runs: HookRun[];
}

/** Changing these re-runs the hook (in the current container when it did not change); targets count by host and container only. */
const RERUN_ON: (keyof HookInputs)[] = ["command", "env", "targets", "version", "runOn"];

export class HookFailedError extends Error {
    constructor(readonly role: string, readonly host: string, readonly detail: string, readonly output: string) {
        super(`post-app-boot hook of role "${role}" failed on ${host}: ${detail}${output ? `\n--- hook output (last lines) ---\n${output}` : ""}`);
        this.name = "HookFailedError";
    }
}

/** Interrupts (the engine stopping the provider) abort running hooks so cleanup runs: roll back, resume. */
const interrupted = new AbortController();
let runningHooks = 0;
let handlersInstalled = false;
function installInterruptHandlers(): void {
    if (handlersInstalled) return;
    handlersInstalled = true;
    onShutdown({
        order: 0,
        active: () => runningHooks > 0,
        run: async () => {
            progress("interrupted: stopping hooks, restoring traffic");
            interrupted.abort();
            await until(() => runningHooks === 0, SHUTDOWN_LIMIT_MS - 3_000);
            // Let the failed create reach the engine before the process goes.
            await new Promise((r) => setTimeout(r, 300));
        },
    });
}

export const hookProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id, olds: HookOutputs, news: HookInputs) {
        const replaces = rerunKeys(olds, news, RERUN_ON);
        // New SSH settings alone are an update: stored, nothing runs again.
        const changes = replaces.length > 0 || changedKeys(olds, news, ["when", "timeout", "health", "proxy", "targets", "held", "holds"]).length > 0;
        return { changes, replaces };
    },

    async create(inputs: HookInputs) {
        await holdLock(inputs.lock, "up");
        installInterruptHandlers();
        runningHooks++;
        let runs: HookRun[];
        try {
            runs = inputs.when === "paused" ? await runPaused(inputs) : await runAll(inputs);
        } finally {
            runningHooks--;
        }
        return { id: `${inputs.service}-${inputs.role}-post-app-boot-${randomUUID().slice(0, 8)}`, outs: { ...inputs, runs } satisfies HookOutputs };
    },

    async update(_id, olds: HookOutputs, news: HookInputs) {
        // Only when/timeout/health or SSH settings changed: nothing to run again.
        return { outs: { ...news, runs: olds.runs } };
    },

    async delete() {
        // A hook's effects (a migration) are not undone by removing it from the stack.
    },
};

async function runAll(i: HookInputs): Promise<HookRun[]> {
    const targets = hookCmd.hookHosts(i.runOn, i.targets);
    return Promise.all(targets.map(async (target) => {
        const t = transport(target.connection);
        await ensureRunningAndHealthy(t, target, i.health, i.redact);
        await stopStrayHooks(t, i);
        try {
            return await execHook(t, i, target);
        } catch (e) {
            if (i.when === "before-traffic") {
                // It never took traffic; stop it so a worker does not keep running on a failed release.
                await t.exec(docker.stop(target.containerId, 10)).catch(() => undefined);
            }
            throw e;
        }
    }));
}

/** A retry may find the container stopped by the failed attempt: start it and check health again. */
export async function ensureRunningAndHealthy(t: Transport, target: HookTarget, health: Health, redact: string[] = []): Promise<void> {
    const state = await inspect(t, target.containerId);
    if (!state) throw new TransportError(t.host, `container ${target.containerName} is gone; run \`pulumi refresh\` then \`pulumi up\` to boot it again`);
    if (state.running) return;
    await run(t, docker.start(target.containerId));
    await waitHealthy(t, target.containerId, health, redact);
}

/**
 * @param kills when given, an interrupted hook's kill is collected there
 * instead of awaited: restoring traffic comes first (the engine allows ~5 s).
 */
export async function execHook(t: Transport, i: HookInputs, target: HookTarget, kills?: Promise<unknown>[]): Promise<HookRun> {
    const hookId = randomUUID();
    const tag = `[${i.role}@${t.host} post-app-boot]`;
    const env = {
        ...i.env,
        KAMAL_SERVICE: i.service,
        KAMAL_ROLE: i.role,
        KAMAL_HOST: target.connection.host,
        KAMAL_VERSION: i.version,
        KAMAL_CONTAINER_NAME: target.containerName,
        ...(i.destination ? { KAMAL_DESTINATION: i.destination } : {}),
    };
    const startedAt = Date.now();
    progress(`${tag} running in ${target.containerName}: ${typeof i.command === "string" ? i.command : i.command.join(" ")}`);
    let output = "";
    const mask = redactor(i.redact);
    const lines = lineTagger(tag, (text) => { output += text; }, mask);
    try {
        const result = await traced(`hook/${i.role}`, t.host, "hook", () => t.exec(hookCmd.runHook(target.containerId, i.command, env, hookId), {
            timeoutMs: i.timeout * 1000,
            signal: interrupted.signal,
            onStdout: lines.push,
            onStderr: lines.push,
        }));
        lines.flush();
        const run: HookRun = {
            host: t.host,
            container: target.containerName,
            exitCode: result.code,
            durationMs: Date.now() - startedAt,
            healthyToStartMs: Math.max(0, startedAt - target.healthyAt),
            startedAt,
            outputTail: tail(mask(output), 20),
        };
        if (result.code !== 0) throw new HookFailedError(i.role, t.host, `exit ${result.code} after ${(run.durationMs / 1000).toFixed(1)}s`, run.outputTail);
        progress(`${tag} done in ${(run.durationMs / 1000).toFixed(1)}s`);
        return run;
    } catch (e) {
        lines.flush();
        if (e instanceof HookFailedError) throw e;
        // Timeout, interrupt or lost connection: the process may still run in the container; stop it.
        const kill = t.exec(hookCmd.killHook(target.containerId, hookId), { timeoutMs: 15_000 }).catch(() => undefined);
        if (kills && interrupted.signal.aborted) kills.push(kill);
        else await kill;
        throw new HookFailedError(i.role, t.host, e instanceof TransportError ? e.reason : (e as Error).message, tail(mask(output), 20));
    }
}

/** Streams output live, one tagged line at a time, secrets masked. */
function lineTagger(tag: string, sink: (text: string) => void, mask: (line: string) => string = (l) => l) {
    let partial = "";
    return {
        push: (text: string) => {
            sink(text);
            const parts = (partial + text).split("\n");
            partial = parts.pop() ?? "";
            for (const line of parts) progress(`${tag} ${mask(line)}`);
        },
        flush: () => {
            if (partial) progress(`${tag} ${mask(partial)}`);
            partial = "";
        },
    };
}

/**
 * A hook left running by an earlier deploy (its connection was lost and the
 * kill could not reach the host) is stopped before a new one starts: never
 * two migrations at once. TERM, then KILL; refused if it still runs.
 */
export async function stopStrayHooks(t: Transport, i: Pick<HookInputs, "service" | "role" | "destination">, graceMs = 10_000): Promise<void> {
    const find = async () => (await run(t, hookCmd.findHooks(i.service, i.role, i.destination))).split("\n").filter(Boolean).map((l) => l.split(" ") as [string, string]);
    let stray = await find();
    for (const signal of ["TERM", "KILL"] as const) {
        if (!stray.length) return;
        progress(`[${i.role}@${t.host}] a hook from an earlier deploy still runs (${stray.map(([c, id]) => `${c.slice(0, 12)} KAMAL_HOOK_ID=${id}`).join(", ")}): sending ${signal}`);
        for (const [container, id] of stray) await run(t, hookCmd.killHook(container, id, signal));
        const end = Date.now() + graceMs;
        while ((stray = await find()).length && Date.now() < end) await new Promise((r) => setTimeout(r, Math.min(500, graceMs)));
    }
    if (stray.length) {
        const [container, id] = stray[0];
        throw new TransportError(t.host, `a post-app-boot hook from an earlier deploy still runs in container ${container.slice(0, 12)} (KAMAL_HOOK_ID=${id}) and did not stop on KILL; ` +
            `stop that container (\`docker stop ${container.slice(0, 12)}\`) before deploying again`);
    }
}
