/**
 * The deploy lock, held by the provider process: every create, update and
 * delete awaits it before its first command on a host, so a deploy that
 * cannot get it changes nothing. Taken once per deployment (the engine runs
 * every resource in this one process), renewed while the process lives,
 * released when the engine stops the process (SIGINT/SIGTERM) or, if the
 * process was killed, expiring LEASE_SECONDS after its last renewal.
 */
import { randomBytes } from "node:crypto";
import * as os from "node:os";
import * as lockCmd from "../commands/lock";
import { isUnknown } from "../resources/common";
import { onShutdown } from "./shutdown";
import { connect, run, SshTarget, Transport } from "../transport";

/** The deploy lock every host change of one deployment waits for: Kamal's lock directory on the primary host. */
export interface LockSpec {
    /** The primary host (the primary role's first host), as Kamal locks. */
    connection: SshTarget;
    service: string;
    destination?: string;
    version: string;
    /** `project/stack`, shown to whoever finds the lock held. */
    stack: string;
}

export const LEASE_SECONDS = 60;
const RENEW_MS = 15_000;
/** A lock directory without details (its maker died between mkdir and write) is stale after this. */
const NO_DETAILS_STALE_S = 60;

export class LockHeldError extends Error {
    constructor(host: string, dir: string, shown: lockCmd.LockShown) {
        const lease = shown.expires !== undefined
            ? `Its lease expires in ${Math.max(0, shown.expires - shown.now)}s unless its holder (alive) renews it; a holder that died never blocks longer.`
            : shown.details ? "It is a Kamal lock (no lease): it stays until released." : "It has no details yet.";
        super(`Deploy lock found on ${host} (~/${dir}), held for ${Math.max(0, shown.now - shown.since)}s: another deploy of this service is in progress. Nothing was changed.\n` +
            `${shown.details || "(no details)"}\n${lease}\n` +
            `Wait for it to finish; if its holder is gone, release it: \`npx pulumi-kamal lock release\` (or \`kamal lock release\`).`);
        this.name = "LockHeldError";
    }
}

interface Held {
    t: Transport;
    dir: string;
    token: string;
    timer: NodeJS.Timeout;
}

const locks = new Map<string, Promise<Held>>();
const held = new Set<Held>();

const keyOf = (s: LockSpec) => `${s.connection.user}@${s.connection.host}:${s.connection.port}|${lockCmd.lockDir(s.service, s.destination)}`;

export const usable = (spec: LockSpec | undefined): spec is LockSpec =>
    !!spec && typeof spec.connection?.host === "string" && !isUnknown(spec);

/**
 * Resolves once this process holds the lock for `spec`; rejects (every
 * caller, for the rest of the deployment) when someone else holds it.
 */
export function holdLock(spec: LockSpec | undefined, op: "up" | "destroy"): Promise<void> {
    if (!usable(spec)) return Promise.resolve();
    const key = keyOf(spec);
    let p = locks.get(key);
    if (!p) {
        p = acquire(spec, op);
        locks.set(key, p);
    }
    return p.then(() => undefined);
}

function detailsText(spec: LockSpec, op: string, token: string): string {
    return [
        `Locked by: ${os.userInfo().username}@${os.hostname()} at ${new Date().toISOString().replace(/\.\d+Z$/, "Z")}`,
        `Version: ${spec.version}`,
        `Message: pulumi ${op} of ${spec.stack} (pulumi-kamal, pid ${process.pid})`,
        `Lease: ${token}`,
    ].join("\n");
}

async function acquire(spec: LockSpec, op: string): Promise<Held> {
    const t = connect(spec.connection);
    const dir = lockCmd.lockDir(spec.service, spec.destination);
    const token = randomBytes(8).toString("hex");
    for (let attempt = 0; ; attempt++) {
        const out = await run(t, lockCmd.acquire(dir, detailsText(spec, op, token), LEASE_SECONDS));
        if (out.trim() === "acquired") break;
        const shown = lockCmd.parseShown(out);
        const stale = shown.expires !== undefined ? shown.expires < shown.now
            : !shown.details && shown.now - shown.since > NO_DETAILS_STALE_S;
        if (!stale || attempt > 0) throw new LockHeldError(t.host, dir, shown);
        process.stderr.write(`${t.host}: breaking the expired deploy lock ~/${dir} (its holder stopped renewing it):\n${shown.details}\n`);
        await t.exec(lockCmd.breakStale(dir, shown.token ?? "-"));
    }
    const h: Held = { t, dir, token, timer: setInterval(() => void renew(h), RENEW_MS).unref() };
    held.add(h);
    onShutdown({ order: 10, active: () => held.has(h), run: () => releaseHeld(h) });
    process.stderr.write(`${t.host}: took the deploy lock ~/${dir}\n`);
    return h;
}

async function renew(h: Held): Promise<void> {
    const r = await h.t.exec(lockCmd.renew(h.dir, h.token, LEASE_SECONDS), { timeoutMs: RENEW_MS }).catch(() => undefined);
    if (r?.code === 4) {
        clearInterval(h.timer);
        held.delete(h);
        process.stderr.write(`${h.t.host}: warning: the deploy lock ~/${h.dir} was released or broken by someone else while this deploy runs\n`);
    }
}

async function releaseHeld(h: Held): Promise<void> {
    clearInterval(h.timer);
    held.delete(h);
    await h.t.exec(lockCmd.release(h.dir, h.token), { timeoutMs: 3_000 }).catch(() => undefined);
}

/**
 * For `preview` (run by the program, which can warn through the engine):
 * what to say when someone holds the lock. Takes nothing, changes nothing.
 */
export async function lockWarning(spec: LockSpec, t: Transport): Promise<string | undefined> {
    const dir = lockCmd.lockDir(spec.service, spec.destination);
    const r = await t.exec(lockCmd.status(dir), { timeoutMs: 10_000 });
    const shown = r.code === 0 ? lockCmd.parseShown(r.stdout) : undefined;
    if (!shown?.held) return undefined;
    return new LockHeldError(t.host, dir, shown).message.replace("Nothing was changed.", "A deploy now would fail before changing anything.");
}
