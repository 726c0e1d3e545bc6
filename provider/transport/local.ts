import { spawn } from "node:child_process";
import type { Argv } from "../commands/docker";
import { commandBound, stepName } from "./bounds";
import { ExecOptions, ExecResult, Transport, TransportError } from "./types";

/** `localhost`: argv runs on this machine through spawn, no shell involved. */
export class LocalTransport implements Transport {
    readonly host = "localhost";

    exec(argv: Argv, options: ExecOptions = {}): Promise<ExecResult> {
        return new Promise((resolve, reject) => {
            const child = spawn(argv[0], argv.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
            let stdout = "";
            let stderr = "";
            let failure: Error | undefined;
            const fail = (message: string) => {
                failure ??= new TransportError(this.host, message);
                child.kill("SIGTERM");
                clearTimeout(timer);
                reject(failure); // at once: the child may ignore SIGTERM
            };
            const timeoutMs = options.timeoutMs ?? commandBound(argv);
            const timer = setTimeout(() => fail(`timed out after ${timeoutMs / 1000}s while running \`${stepName(argv)}\``), timeoutMs);
            const onAbort = () => fail("interrupted");
            if (options.signal?.aborted) onAbort();
            options.signal?.addEventListener("abort", onAbort, { once: true });
            child.stdout.setEncoding("utf8").on("data", (d: string) => { stdout += d; options.onStdout?.(d); });
            child.stderr.setEncoding("utf8").on("data", (d: string) => { stderr += d; options.onStderr?.(d); });
            child.on("error", (e) => { failure ??= new TransportError(this.host, `cannot run ${argv[0]}: ${e.message}`); });
            child.on("close", (code) => {
                clearTimeout(timer);
                options.signal?.removeEventListener("abort", onAbort);
                if (failure) reject(failure);
                else resolve({ code: code ?? 1, stdout, stderr });
            });
            child.stdin.on("error", () => undefined); // the command may exit before reading stdin
            child.stdin.end(options.stdin ?? "");
        });
    }
}
