/**
 * The `paused` hook mode, service-wide: the hook's role and every role it
 * holds. With every held role's new containers healthy, proxied roles'
 * routes are paused and switched on every host, non-proxied roles' old (and
 * new) containers are stopped; the hook runs once; routes resume and the
 * non-proxied roles' new containers start. No old code runs against the new
 * schema, no new code before the hook, and no request fails: it is held.
 */
import { randomUUID } from "node:crypto";
import * as docker from "../commands/docker";
import * as hookCmd from "../commands/hook";
import * as proxyCmd from "../commands/proxy";
import type { HeldRole, HookRun, HookTarget, RoleHookInputs } from "../resources/role-hook";
import { join } from "../commands/shell";
import { run, tail, Transport, TransportError } from "../transport";
import { progress, transport } from "./common";
import { ensureRunningAndHealthy, Health, mustExist, othersRunning, RoleRef, waitHealthy } from "./containers";
import { execHook, stopStrayHooks } from "./hook";
import { failpoint } from "./failpoint";
import { currentRoute, disarmLeftWatchdogs } from "./proxy";

type Route = NonNullable<RoleHookInputs["proxy"]>;

/** A proxied role on one host. */
interface HeldRoute {
    role: string;
    t: Transport;
    target: HookTarget;
    health: Health;
    route: Route;
    /** The container kamal-proxy routed the role to before the deploy; none: this host does not serve the role yet (its traffic switch routes it after the hook). */
    previous?: string;
    paused: boolean;
    /** Its route now points at the new container: only then is there anything to restore. */
    switched: boolean;
    restored: boolean;
    /** The armed watchdog's token. */
    watchdog?: string;
    /** The armed watchdog routes back to `previous` when it fires (it did not hear that the hook succeeded). */
    rollsBack?: boolean;
    /** When the armed watchdog fires (ms since epoch). */
    firesAt?: number;
}

/** A non-proxied role (worker, jobs) on one host. */
interface HeldJob {
    role: string;
    t: Transport;
    target: HookTarget;
    health: Health;
    stopTimeout?: number;
    /** Old containers this deploy stopped: started again if the deploy fails. */
    old: string[];
}

/** Slack per step on top of its own bound: SSH round trips, proxy reloads. */
const MARGIN = 30;

/** The hook's own role first, then the roles it holds. */
export function heldRolesOf(i: RoleHookInputs): HeldRole[] {
    return [{ role: i.role, targets: i.targets, health: i.health, proxy: i.proxy }, ...(i.held ?? [])];
}

/**
 * The longest a request may be held (kamal-proxy's `--max-pause`): every step
 * of the paused window one after another, each at its own bound: per paused
 * route its drain and switch, each hook run, each non-proxied stop, plus 30 s.
 */
export function holdLimit(i: RoleHookInputs): number {
    const roles = heldRolesOf(i);
    const routes = roles.flatMap((r) => (r.proxy ? r.targets.map(() => r.proxy!) : []));
    const jobs = roles.flatMap((r) => (r.proxy ? [] : r.targets.map(() => r.stopTimeout ?? 10)));
    const runs = hookCmd.hookHosts(i.runOn, i.targets).length;
    return routes.reduce((s, p) => s + p.drainTimeout + p.deployTimeout, 0) + runs * i.timeout + jobs.reduce((s, x) => s + x, 0) + MARGIN;
}

export async function runPaused(i: RoleHookInputs): Promise<HookRun[]> {
    if (!i.proxy) throw new Error(`role "${i.role}" is not behind kamal-proxy: the paused hook mode needs a proxied role; use before-traffic`);
    const roles = heldRolesOf(i);
    const limit = holdLimit(i);
    const routes: HeldRoute[] = roles.flatMap((r) => (r.proxy ? r.targets.map((target) => ({
        role: r.role, t: transport(target.connection), target, health: r.health, route: r.proxy!, paused: false, switched: false, restored: false,
    })) : []));
    const jobs: HeldJob[] = roles.flatMap((r) => (r.proxy ? [] : r.targets.map((target) => ({
        role: r.role, t: transport(target.connection), target, health: r.health, stopTimeout: r.stopTimeout, old: [],
    }))));
    const ref = (role: string) => ({ service: i.service, role, destination: i.destination });
    const kills: Promise<unknown>[] = [];
    const runs: HookRun[] = [];
    let failure: unknown;
    // Once the hook succeeded the new schema is in place: whatever fails after, routes stay on the new code.
    let hookDone = false;
    try {
        // A held job's new container is only created (it waits for the hook); one booted by an older version runs.
        await settle([...routes.map((h) => ensureRunningAndHealthy(h.t, h.target, h.health, i.redact)), ...jobs.map((j) => mustExist(j.t, j.target))]);
        for (const target of hookCmd.hookHosts(i.runOn, i.targets)) await stopStrayHooks(transport(target.connection), i);
        await settle(routes.map((h) => hold(h, limit, ref(h.role))));
        await settle(jobs.map(async (j) => {
            const others = await othersRunning(j.t, ref(j.role), j.target.containerId);
            j.old = others.map((c) => c.id);
            // Old code must not run on the new schema, new code not before it: both wait for the hook.
            // (`docker stop` leaves a created container as it is.)
            await Promise.all([...j.old, j.target.containerId].map((id) => run(j.t, docker.stop(id, j.stopTimeout))));
            progress(`[${j.role}@${j.t.host}] stopped until the hook has run: ${[...others.map((c) => c.name), j.target.containerName].join(", ")}`);
        }));
        const switching = routes.filter((h) => h.previous);
        await rearm(routes, Math.max(0, ...switching.map((h) => h.route.deployTimeout)) + MARGIN);
        await settle(switching.map(async (h) => {
            await run(h.t, proxyCmd.deploy({ ...h.route, target: targetOf(h.route, h.target.containerId) }));
            h.switched = true;
        }));
        for (const target of hookCmd.hookHosts(i.runOn, i.targets)) {
            await rearm(routes, i.timeout + MARGIN);
            runs.push(await execHook(transport(target.connection), i, target, kills));
        }
        hookDone = true;
        // The hook succeeded: from now on the watchdog only resumes (old code must not serve the new schema),
        // with a fresh lease so it never races the resume below.
        await rearm(routes, MARGIN, false);
    } catch (e) {
        failure = e;
        if (!hookDone) await settle(routes.filter((h) => h.switched).map((h) => restore(h)));
    }
    await failpoint("paused-before-resume");
    const stuck = await resumeAll(routes);
    if (failure && !hookDone) {
        // Traffic is back where it was; now the slow part: old jobs back, new containers down.
        await Promise.all([
            ...jobs.map((j) => Promise.all(j.old.map((id) => j.t.exec(docker.start(id)).catch(() => undefined)))),
            ...routes.filter((h) => h.restored).map((h) => h.t.exec(docker.stop(h.target.containerId, 10)).catch(() => undefined)),
            ...kills,
        ]);
        if (stuck.length) progress(stuckMessage(stuck));
        throw failure;
    }
    await settle(jobs.map(async (j) => {
        await run(j.t, docker.start(j.target.containerId));
        await waitHealthy(j.t, j.target.containerId, j.health);
        progress(`[${j.role}@${j.t.host}] started ${j.target.containerName}`);
    }));
    if (failure) {
        for (const h of routes.filter((r) => r.watchdog !== undefined && r.rollsBack)) progress(untold(h));
        throw failure;
    }
    if (stuck.length) throw new TransportError([...new Set(stuck.map((h) => h.t.host))].join(", "), stuckMessage(stuck));
    return runs;
}

const targetOf = (route: Route, id: string) => proxyCmd.upstream(id, route.appPort);

/**
 * Pauses one route for the window, under a watchdog. What a failure restores
 * is what kamal-proxy serves now; no route (a host new to the role): nothing
 * to pause. A route a dead deploy left paused after switching it to this
 * container stays held; what it switched from (its watchdog's target, now
 * disarmed) is the role's other running container.
 */
async function hold(h: HeldRoute, limit: number, role: RoleRef): Promise<void> {
    const [route] = await Promise.all([currentRoute(h.t, h.route.service, h.target.containerId), disarmLeftWatchdogs(h.t, h.role, h.route.service)]);
    h.previous = route.serving?.id;
    if (!h.previous && route.paused) h.previous = (await othersRunning(h.t, role, h.target.containerId))[0]?.id;
    h.paused = route.paused;
    if (!h.previous) {
        // Held until the hook has run, like the rest; with nothing to go back to, its watchdog only resumes.
        if (route.paused) h.watchdog = await arm(h, MARGIN);
        return;
    }
    h.watchdog = await arm(h, h.route.drainTimeout + MARGIN);
    if (!route.paused) await run(h.t, proxyCmd.pause(h.route.service, h.route.drainTimeout, limit));
    h.paused = true;
    progress(`[${h.role}@${h.t.host}] paused ${h.route.service}${route.paused ? " (left paused by an interrupted deploy)" : ""}`);
}

/**
 * The host-side dead man's switch: unless renewed or disarmed within
 * `seconds`, the previous route back (while the hook has not succeeded and
 * there is one), then resume.
 */
async function arm(h: HeldRoute, seconds: number, rollback = true): Promise<string> {
    const back = rollback && h.previous ? proxyCmd.deploy({ ...h.route, target: targetOf(h.route, h.previous) }) : undefined;
    const token = hookCmd.watchdogToken(h.route.service, randomUUID());
    await run(h.t, hookCmd.armWatchdog(h.route.service, back, seconds, token));
    h.rollsBack = back !== undefined;
    h.firesAt = Date.now() + Math.ceil(seconds) * 1000;
    return token;
}

/** A host lost between the hook's success and its watchdog's renewal keeps the rollback: the user must know. */
function untold(h: HeldRoute): string {
    return `[${h.role}@${h.t.host}] did not hear that the hook succeeded: when it answers again, its watchdog routes ${h.route.service} back to ` +
        `${h.previous!.slice(0, 12)} (the old code, on the new schema) and resumes it; then run \`pulumi up\`. To keep the new code instead, ` +
        `run there \`${join(hookCmd.disarmWatchdog(h.watchdog!))} && ${join(proxyCmd.resume(h.route.service))}\``;
}

/** Renews every armed watchdog for the next step (the new one armed before the old one goes: never a gap). */
async function rearm(routes: HeldRoute[], seconds: number, rollback = true): Promise<void> {
    await settle(routes.filter((h) => h.watchdog !== undefined).map(async (h) => {
        const old = h.watchdog!;
        h.watchdog = await arm(h, seconds, rollback);
        await disarm(h, old);
    }));
}

async function disarm(h: HeldRoute, watchdog: string): Promise<void> {
    await h.t.exec(hookCmd.disarmWatchdog(watchdog)).catch(() => undefined);
}

async function restore(h: HeldRoute): Promise<void> {
    const r = await h.t.exec(proxyCmd.deploy({ ...h.route, target: targetOf(h.route, h.previous!) })).catch((err) => ({ code: 1, stderr: String(err), stdout: "" }));
    if (r.code === 0) h.restored = true;
    // The new container still takes the traffic: stopping it would fail every request.
    else progress(`[${h.role}@${h.t.host}] could not restore the previous route, the new container keeps serving: ${tail(r.stderr, 3)}`);
}

/** Resumes every paused route at once; disarms a watchdog only once kamal-proxy confirmed. Returns the hosts still paused. */
async function resumeAll(routes: HeldRoute[]): Promise<HeldRoute[]> {
    const stuck: HeldRoute[] = [];
    await Promise.all(routes.map(async (h) => {
        if (h.paused && !(await resume(h.t, h.route.service))) {
            // Leave the watchdog armed: it resumes the route when it fires.
            stuck.push(h);
            return;
        }
        if (h.paused) progress(`[${h.role}@${h.t.host}] resumed ${h.route.service}`);
        if (h.watchdog !== undefined) await disarm(h, h.watchdog);
    }));
    return stuck;
}

/** Per stuck route: what its watchdog will do and when (a silent host: once it answers again), and the command that resumes it now. */
function stuckMessage(stuck: HeldRoute[]): string {
    const where = stuck.map((h) => `${h.t.host} (${h.route.service})`).join(", ");
    const when = stuck.map((h) => {
        const seconds = Math.max(1, Math.ceil(((h.firesAt ?? Date.now()) - Date.now()) / 1000));
        return `${h.t.host}: ${h.rollsBack ? "routes it back to the previous container and resumes" : "resumes"} in ${seconds}s`;
    }).join("; ");
    const services = [...new Set(stuck.map((h) => h.route.service))];
    return `kamal-proxy did not confirm the resume on ${where} after retries; requests are held until the watchdog acts (${when}; a host that does not answer: once it does) ` +
        `or you run ${services.map((s) => `\`docker exec kamal-proxy kamal-proxy resume ${s}\``).join(" and ")} there`;
}

/** A failed `kamal-proxy resume` would leave requests held (kamal-proxy keeps the pause across restarts): retry until it exits 0. */
async function resume(t: Transport, service: string, attempts = 3): Promise<boolean> {
    for (let n = 0; n < attempts; n++) {
        const r = await t.exec(proxyCmd.resume(service), { timeoutMs: 15_000 }).catch(() => undefined);
        if (r?.code === 0) return true;
        await new Promise((res) => setTimeout(res, 1_000 * (n + 1)));
    }
    return false;
}

/** Every step runs to its end on every host before a failure is acted on: nothing is left half-recorded. */
async function settle(steps: Promise<unknown>[]): Promise<void> {
    const results = await Promise.allSettled(steps);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
}
