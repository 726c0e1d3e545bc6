/**
 * Every remote step's time limit, in one place (the README's "Time limits"
 * section states the same figures). Pure: unit-tested without a host.
 */
import type { Argv } from "../commands/docker";

/** TCP connect plus SSH handshake and login (ssh2's readyTimeout). */
export const CONNECT_TIMEOUT_MS = 10_000;
/** An SSH keepalive every interval; the connection is dead after COUNT_MAX unanswered ones. */
export const KEEPALIVE_INTERVAL_MS = 5_000;
export const KEEPALIVE_COUNT_MAX = 3;
/** ssh2 gives up at the keepalive after the COUNT_MAX-th unanswered one. */
export const KEEPALIVE_DEAD_MS = KEEPALIVE_INTERVAL_MS * (KEEPALIVE_COUNT_MAX + 1);
/** An ordinary command (inspect, list, start, write a file, a proxy call without a wait of its own). */
export const COMMAND_TIMEOUT_MS = 60_000;
/** `docker pull`: images can be large and registries slow; a silent host is caught by the keepalive long before. */
export const PULL_TIMEOUT_MS = 15 * 60_000;
/** Added to a wait the command carries itself (`--deploy-timeout`, `docker stop --time`). */
export const WAIT_MARGIN_MS = 30_000;
/** After a host failed to answer a connect, its commands fail at once for this long instead of waiting again. */
export const UNANSWERED_COOLDOWN_MS = 30_000;
/**
 * The documented promise: a host that stops answering fails the deploy within
 * this long. The keepalive finds it dead; the cleanup's one reconnect attempt
 * waits CONNECT_TIMEOUT_MS; then its commands fail at once; 15 s are left for
 * restoring the other hosts and the engine ending the deployment.
 */
export const HOST_SILENT_FAIL_MS = KEEPALIVE_DEAD_MS + CONNECT_TIMEOUT_MS + 15_000;

/** Seconds from a `30s`-style flag value kamal-proxy and our builders use. */
function seconds(value: string | undefined): number {
    const m = /^(\d+(?:\.\d+)?)s?$/.exec(value ?? "");
    return m ? Number(m[1]) : 0;
}

function flagValue(argv: Argv, flag: string): string | undefined {
    const i = argv.indexOf(flag);
    if (i >= 0) return argv[i + 1];
    return argv.find((a) => a.startsWith(`${flag}=`))?.slice(flag.length + 1);
}

/**
 * The bound for a command that was given none: a command that waits by itself
 * gets its own wait plus a margin, so the bound never cuts a legitimate wait short.
 */
export function commandBound(argv: Argv): number {
    if (argv[0] === "docker" && argv[1] === "pull") return PULL_TIMEOUT_MS;
    if (argv[0] === "docker" && argv[1] === "stop") return seconds(flagValue(argv, "--time") ?? "10") * 1000 + WAIT_MARGIN_MS;
    // kamal-proxy deploy: waits for health up to --deploy-timeout, then drains the old target.
    const waits = seconds(flagValue(argv, "--deploy-timeout")) + seconds(flagValue(argv, "--drain-timeout"));
    if (waits > 0) return waits * 1000 + WAIT_MARGIN_MS;
    return COMMAND_TIMEOUT_MS;
}

/** How an error names the step: the command's first five words, flags and long values left out. */
const VALUE_FLAGS = new Set(["--time", "--format", "-f", "--filter", "-e", "--env", "--env-file", "-u", "--user", "-w", "--workdir"]);

export function stepName(argv: Argv): string {
    const words: string[] = [];
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (VALUE_FLAGS.has(a)) i++; // and its value
        if (a.startsWith("-")) continue;
        words.push(a.length > 40 ? `${a.slice(0, 37)}...` : a);
        if (words.length === 5) break;
    }
    return words.join(" ");
}

/**
 * Remembers that a host did not answer a connect, so the steps after it
 * (cleanup, retries) fail at once for a while instead of each waiting out
 * the connect timeout again. Concurrent commands already share one connect.
 */
export class SilentHost {
    private until = 0;
    private reason = "";

    constructor(private readonly cooldownMs = UNANSWERED_COOLDOWN_MS, private readonly now: () => number = Date.now) {}

    mark(reason: string): void {
        this.until = this.now() + this.cooldownMs;
        this.reason = reason;
    }

    clear(): void {
        this.until = 0;
    }

    /** Why not to try now, or undefined. */
    check(): string | undefined {
        if (this.now() >= this.until) return undefined;
        return `${this.reason}; not retried for ${Math.ceil((this.until - this.now()) / 1000)}s`;
    }
}

/** A promise that rejects with `error()` after `ms`, or settles with `p`. */
export function withTimeout<T>(p: Promise<T>, ms: number, error: () => Error): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const expiry = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(error()), ms); });
    return Promise.race([p, expiry]).finally(() => clearTimeout(timer));
}
