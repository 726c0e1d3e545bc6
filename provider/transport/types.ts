import type { Argv } from "../commands/docker";

export interface ExecOptions {
    /** Written to the command's stdin: how secrets travel (never in argv). */
    stdin?: string;
    onStdout?: (text: string) => void;
    onStderr?: (text: string) => void;
    /** Abort (and fail) the command after this long; without it, the bound bounds.ts gives the command. */
    timeoutMs?: number;
    signal?: AbortSignal;
}

export interface ExecResult {
    code: number;
    stdout: string;
    stderr: string;
}

/** Runs argv arrays on one host: over SSH, or on this machine for `localhost`. */
export interface Transport {
    readonly host: string;
    exec(argv: Argv, options?: ExecOptions): Promise<ExecResult>;
}

/** A command that ran and exited non-zero. */
export class CommandError extends Error {
    constructor(readonly host: string, readonly argv: Argv, readonly result: ExecResult) {
        super(`${host}: \`${argv.slice(0, 4).join(" ")}${argv.length > 4 ? " ..." : ""}\` exited ${result.code}: ${tail(result.stderr || result.stdout, 5)}`);
        this.name = "CommandError";
    }
}

/** The connection broke or the command could not be started or timed out. */
export class TransportError extends Error {
    constructor(readonly host: string, readonly reason: string) {
        super(`${host}: ${reason}`);
        this.name = "TransportError";
    }
}

export function tail(text: string, lines: number): string {
    return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/** Run and require exit 0. */
export async function run(t: Transport, argv: Argv, options?: ExecOptions): Promise<string> {
    const result = await t.exec(argv, options);
    if (result.code !== 0) throw new CommandError(t.host, argv, result);
    return result.stdout;
}
