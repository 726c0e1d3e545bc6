/**
 * Test doubles for the provider layer: a fake Transport per host that records
 * every argv (with its stdin and options) and answers from rules matched by
 * argv prefix, and a helper that silences and captures provider progress.
 */
import type { Argv } from "../../provider/commands/docker";
import { setTransportFactory, SshTarget } from "../../provider/transport";
import type { ExecOptions, ExecResult, Transport } from "../../provider/transport/types";

export interface Call {
    host: string;
    argv: Argv;
    stdin?: string;
    timeoutMs?: number;
}

type Reply = Partial<ExecResult> | ((argv: Argv, options: ExecOptions) => Partial<ExecResult> | Promise<Partial<ExecResult>>);

interface Rule {
    match: (argv: Argv) => boolean;
    reply: Reply;
    times?: number;
}

/** `["docker", "run"]` matches any argv starting with those words; a function matches anything it accepts. */
export type Matcher = readonly string[] | ((argv: Argv) => boolean);

const toPredicate = (m: Matcher) =>
    typeof m === "function" ? m : (argv: Argv) => m.every((word, i) => argv[i] === word);

export class FakeHost implements Transport {
    readonly calls: Call[] = [];
    readonly unmatched: Argv[] = [];
    private rules: Rule[] = [];

    /** @param log shared across hosts, to assert ordering between them */
    constructor(readonly host: string, private readonly log: Call[] = []) {}

    /** Latest rule wins; `times` limits how often a rule answers before falling through to older ones. */
    on(matcher: Matcher, reply: Reply, times?: number): this {
        this.rules.unshift({ match: toPredicate(matcher), reply, times });
        return this;
    }

    async exec(argv: Argv, options: ExecOptions = {}): Promise<ExecResult> {
        const call: Call = { host: this.host, argv: [...argv], stdin: options.stdin, timeoutMs: options.timeoutMs };
        this.calls.push(call);
        this.log.push(call);
        const rule = this.rules.find((r) => (r.times === undefined || r.times > 0) && r.match(argv));
        if (!rule) {
            this.unmatched.push([...argv]);
            return { code: 127, stdout: "", stderr: `fake ${this.host}: no rule for ${argv.join(" ")}` };
        }
        if (rule.times !== undefined) rule.times--;
        const partial = typeof rule.reply === "function" ? await rule.reply(argv, options) : rule.reply;
        const result: ExecResult = { code: partial.code ?? 0, stdout: partial.stdout ?? "", stderr: partial.stderr ?? "" };
        if (result.stdout) options.onStdout?.(result.stdout);
        if (result.stderr) options.onStderr?.(result.stderr);
        return result;
    }

    /** Calls whose argv starts with `prefix`. */
    find(prefix: Matcher): Call[] {
        const p = toPredicate(prefix);
        return this.calls.filter((c) => p(c.argv));
    }

    /** Index of the first call matching `prefix`, -1 if none. */
    indexOf(prefix: Matcher): number {
        const p = toPredicate(prefix);
        return this.calls.findIndex((c) => p(c.argv));
    }
}

/** `docker container inspect` output for a container. */
export function inspectOutput(id: string, name: string, state: { running: boolean; status?: string; health?: string }): string {
    const json = {
        Status: state.status ?? (state.running ? "running" : "exited"),
        Running: state.running,
        StartedAt: "2024-01-01T00:00:00Z",
        ...(state.health ? { Health: { Status: state.health } } : {}),
    };
    return `${JSON.stringify(json)}\t${id}\t/${name}\n`;
}

/** One `docker ps` line of listRoleContainers' format. */
export function psLine(id: string, name: string, state: string, created: string, destination = ""): string {
    return `${id}\t${name}\t${state}\t${created}\t${destination}`;
}

/** Installs a transport factory resolving hosts by name; returns a cleanup function. */
export function installHosts(hosts: FakeHost[]): () => void {
    const byName = new Map(hosts.map((h) => [h.host, h]));
    setTransportFactory((target: SshTarget) => {
        const h = byName.get(target.host);
        if (!h) throw new Error(`no fake host ${target.host}`);
        return h;
    });
    return () => setTransportFactory(undefined);
}

/** Replaces process.stderr.write (where providers report progress) and collects the lines. */
export function captureStderr(): { lines: string[]; restore: () => void } {
    const original = process.stderr.write.bind(process.stderr);
    const lines: string[] = [];
    process.stderr.write = ((chunk: string | Uint8Array) => {
        lines.push(...String(chunk).split("\n").filter(Boolean));
        return true;
    }) as typeof process.stderr.write;
    return { lines, restore: () => { process.stderr.write = original; } };
}

export const connection = (host: string): SshTarget => ({ host, user: "deploy", port: 22, verifyHostKey: true });
