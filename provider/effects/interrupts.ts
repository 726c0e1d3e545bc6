/**
 * Interrupts (the engine stopping the provider, Ctrl-C): running hooks are
 * aborted so their cleanup runs (roll back, resume traffic) before the
 * process goes. Registered with ./shutdown.ts ahead of the lock's release.
 */
import { progress } from "./common";
import { onShutdown, SHUTDOWN_LIMIT_MS, until } from "./shutdown";

const interrupted = new AbortController();
/** Aborted once the process was asked to stop: hooks' `docker exec` listen to it. */
export const interruptSignal: AbortSignal = interrupted.signal;

let running = 0;
let installed = false;

function install(): void {
    if (installed) return;
    installed = true;
    onShutdown({
        order: 0,
        active: () => running > 0,
        run: async () => {
            progress("interrupted: stopping hooks, restoring traffic");
            interrupted.abort();
            await until(() => running === 0, SHUTDOWN_LIMIT_MS - 3_000);
            // Let the failed create reach the engine before the process goes.
            await new Promise((r) => setTimeout(r, 300));
        },
    });
}

/** Runs `fn` as interruptible work: a signal meanwhile aborts it and waits for its cleanup. */
export async function interruptible<T>(fn: () => Promise<T>): Promise<T> {
    install();
    running++;
    try {
        return await fn();
    } finally {
        running--;
    }
}
