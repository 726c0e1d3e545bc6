/**
 * Running a role's hook: `docker exec` in the role's new container the moment
 * it is healthy, output streamed with secrets masked, stopped on a timeout or
 * an interrupt, and never two at once. The `paused` mode's sequence around it
 * is ./paused.ts; the engine-facing adapter is ../resources/role-hook.ts.
 */
import { randomUUID } from "node:crypto";
import * as docker from "../commands/docker";
import * as hookCmd from "../commands/hook";
import { kamalEnv } from "../commands/kamal";
import type { HookRun, HookTarget, RoleHookInputs } from "../resources/role-hook";
import { redactor } from "../redact";
import { traced } from "../trace";
import { run, tail, Transport, TransportError } from "../transport";
import { progress, transport } from "./common";
import { ensureRunningAndHealthy } from "./containers";
import { interruptSignal } from "./interrupts";

/** States written before hooks had stages hold post-app-boot hooks. */
const DEFAULT_STAGE = "post-app-boot";
export const stageOf = (i: Pick<RoleHookInputs, "stage">): string => i.stage ?? DEFAULT_STAGE;

export class HookFailedError extends Error {
    constructor(readonly role: string, readonly host: string, readonly detail: string, readonly output: string, readonly stage = DEFAULT_STAGE) {
        super(`${stage} hook of role "${role}" failed on ${host}: ${detail}${output ? `\n--- hook output (last lines) ---\n${output}` : ""}`);
        this.name = "HookFailedError";
    }
}

/** Runs the hook on its hosts (all at once) in each one's new container, outside the paused switch. */
export async function runHooks(i: RoleHookInputs): Promise<HookRun[]> {
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

/**
 * @param kills when given, an interrupted hook's kill is collected there
 * instead of awaited: restoring traffic comes first (the engine allows ~5 s).
 */
export async function execHook(t: Transport, i: RoleHookInputs, target: HookTarget, kills?: Promise<unknown>[]): Promise<HookRun> {
    const hookId = randomUUID();
    const stage = stageOf(i);
    const tag = `[${i.role}@${t.host} ${stage}]`;
    const env = { ...i.env, ...kamalEnv({ ...i, host: target.connection.host, containerName: target.containerName }) };
    const startedAt = Date.now();
    progress(`${tag} running in ${target.containerName}: ${typeof i.command === "string" ? i.command : i.command.join(" ")}`);
    let output = "";
    const mask = redactor(i.redact);
    const lines = lineTagger(tag, (text) => { output += text; }, mask);
    try {
        const result = await traced(`hook/${i.role}`, t.host, "hook", () => t.exec(hookCmd.runHook(target.containerId, i.command, env, hookId), {
            timeoutMs: i.timeout * 1000,
            signal: interruptSignal,
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
        if (result.code !== 0) throw new HookFailedError(i.role, t.host, `exit ${result.code} after ${(run.durationMs / 1000).toFixed(1)}s`, run.outputTail, stage);
        progress(`${tag} done in ${(run.durationMs / 1000).toFixed(1)}s`);
        return run;
    } catch (e) {
        lines.flush();
        if (e instanceof HookFailedError) throw e;
        // Timeout, interrupt or lost connection: the process may still run in the container; stop it.
        const kill = t.exec(hookCmd.killHook(target.containerId, hookId), { timeoutMs: 15_000 }).catch(() => undefined);
        if (kills && interruptSignal.aborted) kills.push(kill);
        else await kill;
        throw new HookFailedError(i.role, t.host, e instanceof TransportError ? e.reason : (e as Error).message, tail(mask(output), 20), stage);
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
export async function stopStrayHooks(t: Transport, i: Pick<RoleHookInputs, "service" | "role" | "destination" | "stage">, graceMs = 10_000): Promise<void> {
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
        throw new TransportError(t.host, `a ${stageOf(i)} hook from an earlier deploy still runs in container ${container.slice(0, 12)} (KAMAL_HOOK_ID=${id}) and did not stop on KILL; ` +
            `stop that container (\`docker stop ${container.slice(0, 12)}\`) before deploying again`);
    }
}
