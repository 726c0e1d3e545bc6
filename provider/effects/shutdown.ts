/**
 * What the provider process does on SIGINT/SIGTERM (Ctrl-C, or the engine
 * stopping the plugin at the end of a deployment): run the registered
 * cleanups that have work, in order (stop hooks and restore traffic first,
 * release the deploy lock last), then go as asked. With nothing to clean up
 * it behaves as if it never listened.
 */
export interface Cleanup {
    /** Lower runs first. */
    order: number;
    active(): boolean;
    run(): Promise<void>;
}

const cleanups: Cleanup[] = [];
let installed = false;
let stopping = false;

/** The longest the process lingers after a signal before exiting anyway. */
export const SHUTDOWN_LIMIT_MS = 15_000;

export function onShutdown(cleanup: Cleanup): void {
    cleanups.push(cleanup);
    cleanups.sort((a, b) => a.order - b.order);
    if (installed) return;
    installed = true;
    for (const sig of ["SIGINT", "SIGTERM"] as const) {
        process.on(sig, function onSignal() {
            const active = cleanups.filter((c) => c.active());
            const leave = () => {
                process.removeListener(sig, onSignal);
                process.kill(process.pid, sig);
            };
            if (active.length === 0) return leave();
            if (stopping) return;
            stopping = true;
            setTimeout(() => process.exit(130), SHUTDOWN_LIMIT_MS).unref();
            void (async () => {
                for (const c of active) await c.run().catch(() => undefined);
                leave();
            })();
        });
    }
}

/** Resolves when `done()` holds, or after `limitMs`. */
export async function until(done: () => boolean, limitMs: number): Promise<void> {
    const end = Date.now() + limitMs;
    while (!done() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
}
