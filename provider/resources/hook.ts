/**
 * A role's post-app-boot hook: `docker exec` in the role's new container the
 * moment it is healthy. Before traffic (default), after traffic, or around a
 * paused switch. It never waits for another role.
 */
import { randomUUID } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import * as docker from "../commands/docker";
import * as hookCmd from "../commands/hook";
import * as proxyCmd from "../commands/proxy";
import { Health, inspect, listRole, sameContainer, waitHealthy } from "../operations";
import { holdLock, LockSpec } from "../lock";
import { run, SshTarget, tail, Transport, TransportError } from "../transport";
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
        const changes = replaces.length > 0 || changedKeys(olds, news, ["when", "timeout", "health", "proxy", "targets"]).length > 0;
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
async function ensureRunningAndHealthy(t: Transport, target: HookTarget, health: Health, redact: string[] = []): Promise<void> {
    const state = await inspect(t, target.containerId);
    if (!state) throw new TransportError(t.host, `container ${target.containerName} is gone; run \`pulumi refresh\` then \`pulumi up\` to boot it again`);
    if (state.running) return;
    await run(t, docker.start(target.containerId));
    await waitHealthy(t, target.containerId, health, redact);
}

async function execHook(t: Transport, i: HookInputs, target: HookTarget): Promise<HookRun> {
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
        await t.exec(hookCmd.killHook(target.containerId, hookId), { timeoutMs: 15_000 }).catch(() => undefined);
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

interface PausedHost {
    t: Transport;
    target: HookTarget;
    previous?: string;
    paused: boolean;
    /** Its route now points at the new container: only then is there anything to restore. */
    switched?: boolean;
    /** The armed watchdog's token. */
    watchdog?: string;
}

/**
 * Pause every host's route for the role (requests are held, not failed),
 * switch all to the new containers, run the hook, resume. On any failure:
 * routes go back to the previous containers, then resume. Always resumed.
 */
async function runPaused(i: HookInputs): Promise<HookRun[]> {
    if (!i.proxy) throw new Error(`role "${i.role}" is not behind kamal-proxy: the paused hook mode needs a proxied role; use before-traffic`);
    const { appPort, ...route } = i.proxy;
    const service = route.service;
    const maxPause = i.timeout + route.deployTimeout + 30;
    const hosts: PausedHost[] = i.targets.map((target) => ({ t: transport(target.connection), target, paused: false }));
    const targetOf = (id: string) => `${id.slice(0, 12)}:${appPort}`;

    try {
        for (const h of hosts) await ensureRunningAndHealthy(h.t, h.target, i.health, i.redact);
        for (const h of hosts) {
            const others = (await listRole(h.t, i)).filter((c) => c.state === "running" && !sameContainer(c.id, h.target.containerId));
            h.previous = others[0]?.id;
            if (!h.previous) continue; // first deploy: nothing serves yet, nothing to hold
            const rollback = proxyCmd.deploy({ ...route, target: targetOf(h.previous) });
            const token = randomUUID();
            await run(h.t, hookCmd.armWatchdog(service, rollback, maxPause + 15, token));
            h.watchdog = token;
            await run(h.t, proxyCmd.pause(service, route.drainTimeout, maxPause));
            h.paused = true;
            progress(`[${i.role}@${h.t.host}] paused ${service}`);
        }
        for (const h of hosts) {
            await run(h.t, proxyCmd.deploy({ ...route, target: targetOf(h.target.containerId) }));
            h.switched = true;
        }
        const runs: HookRun[] = [];
        for (const target of hookCmd.hookHosts(i.runOn, i.targets)) runs.push(await execHook(transport(target.connection), i, target));
        return runs;
    } catch (e) {
        // Only hosts this deploy switched are touched: another host's live route is never removed.
        for (const h of hosts) {
            if (!h.switched) continue;
            // No previous container here: the route is the one this deploy made.
            const back = h.previous
                ? proxyCmd.deploy({ ...route, target: targetOf(h.previous) })
                : proxyCmd.remove(service);
            const r = await h.t.exec(back).catch((err) => ({ code: 1, stderr: String(err), stdout: "" }));
            if (r.code !== 0) {
                // The new container still takes the traffic: stopping it would fail every request.
                progress(`[${i.role}@${h.t.host}] could not restore the previous route, the new container keeps serving: ${tail(r.stderr, 3)}`);
                continue;
            }
            await h.t.exec(docker.stop(h.target.containerId, 10)).catch(() => undefined);
        }
        throw e;
    } finally {
        const stuck: string[] = [];
        for (const h of hosts) {
            if (h.paused && !(await resume(h.t, service))) {
                // Leave the watchdog armed: it resumes the route when it fires.
                stuck.push(h.t.host);
                continue;
            }
            if (h.paused) progress(`[${i.role}@${h.t.host}] resumed ${service}`);
            if (h.watchdog) await h.t.exec(hookCmd.disarmWatchdog(h.watchdog)).catch(() => undefined);
        }
        if (stuck.length) {
            throw new TransportError(stuck.join(", "), `kamal-proxy did not confirm \`resume ${service}\` after retries; requests are held until the watchdog resumes it (within ${maxPause + 15}s of the pause) ` +
                `or you run \`docker exec kamal-proxy kamal-proxy resume ${service}\` there`);
        }
    }
}

/** A failed `kamal-proxy resume` would leave requests held (kamal-proxy keeps the pause across restarts): retry until it exits 0. */
async function resume(t: Transport, service: string, attempts = 3): Promise<boolean> {
    for (let i = 0; i < attempts; i++) {
        const r = await t.exec(proxyCmd.resume(service), { timeoutMs: 15_000 }).catch(() => undefined);
        if (r?.code === 0) return true;
        await new Promise((res) => setTimeout(res, 1_000 * (i + 1)));
    }
    return false;
}
