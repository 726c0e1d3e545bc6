/**
 * The request loop (test/e2e/harness.ts) in its own process: in the
 * benchmark's process it would compete with the inline Pulumi program for
 * the event loop and slow the deploy it measures. `stop` over IPC answers
 * with every sample.
 */
import { fork } from "node:child_process";
import { requestLoop, Sample } from "../test/e2e/harness";

/** Starts the loop on `urls` in a child process. */
export function requestLoopProcess(urls: string[]): { stop(): Promise<Sample[]> } {
    const child = fork(__filename, urls, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    const samples = new Promise<Sample[]>((resolve, reject) => {
        child.once("message", (m) => resolve(m as Sample[]));
        child.once("exit", (code) => reject(new Error(`request loop process exited ${code} before answering`)));
    });
    return { stop: () => { child.send("stop"); return samples; } };
}

if (require.main === module) {
    const loop = requestLoop(process.argv.slice(2));
    process.on("disconnect", () => process.exit(0)); // the benchmark died: stop too
    process.on("message", async (m) => {
        if (m !== "stop") return;
        const report = await loop.stop();
        process.send!(report.samples, () => process.exit(0));
    });
}
