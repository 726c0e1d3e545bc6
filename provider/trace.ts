/**
 * Opt-in timing trace for benchmarks: with PULUMI_KAMAL_TRACE=FILE the
 * provider appends one JSON line per step (resource operation, pull, start,
 * healthy, hook, switch, SSH login, SSH command). Unset, every hook below is
 * a plain call: no timestamps, no I/O.
 */
import { appendFileSync } from "node:fs";

export interface TraceEvent {
    /** `KIND/ROLE` for resource work (e.g. `container/web`); empty for transport-level events. */
    resource: string;
    host: string;
    /** `create`/`update`/`delete`... for a whole operation; pull, start, healthy, hook, switch, login, ssh for parts. */
    step: string;
    /** Epoch milliseconds. */
    start: number;
    end: number;
    ok: boolean;
    /** For `ssh`: the command's first two words (never arguments: they may name files or settings). */
    detail?: string;
    pid: number;
}

const file = (): string | undefined => process.env.PULUMI_KAMAL_TRACE || undefined;

export const tracing = (): boolean => file() !== undefined;

function write(e: Omit<TraceEvent, "pid">): void {
    const target = file();
    if (!target) return;
    try {
        appendFileSync(target, `${JSON.stringify({ ...e, pid: process.pid })}\n`);
    } catch {
        // A trace must never fail a deploy.
    }
}

/** Runs `fn`, recording its span when tracing. */
export async function traced<T>(resource: string, host: string, step: string, fn: () => Promise<T>, detail?: string): Promise<T> {
    if (!tracing()) return fn();
    const start = Date.now();
    try {
        const value = await fn();
        write({ resource, host, step, start, end: Date.now(), ok: true, detail });
        return value;
    } catch (e) {
        write({ resource, host, step, start, end: Date.now(), ok: false, detail });
        throw e;
    }
}

/** Parses a trace file's lines; skips lines that are not events (a torn last line). */
export function parseTrace(text: string): TraceEvent[] {
    const events: TraceEvent[] = [];
    for (const line of text.split("\n")) {
        if (!line.trim()) continue;
        try {
            const e = JSON.parse(line);
            if (typeof e.start === "number" && typeof e.end === "number" && typeof e.step === "string") events.push(e);
        } catch { /* torn line */ }
    }
    return events;
}

/** A transport whose commands are traced (`ssh` steps) when tracing; the same object otherwise. */
export function tracedTransport<T extends object & { host: string; exec(argv: string[], options?: any): Promise<any> }>(t: T): T {
    if (!tracing()) return t;
    // One wrapper per transport, so per-transport caches (effects/host-setup.ts) still hit.
    let w = wrappers.get(t) as T | undefined;
    if (!w) {
        w = Object.assign(Object.create(t), {
            exec: (argv: string[], options?: unknown) => traced("", t.host, "ssh", () => t.exec(argv, options), argv.slice(0, 2).join(" ")),
        }) as T;
        wrappers.set(t, w);
    }
    return w;
}
const wrappers = new WeakMap<object, object>();
