/** What every effect needs: a host's transport, and a line of progress for the engine to show. */
import { connect, SshTarget, Transport } from "../transport";

export function transport(connection: SshTarget): Transport {
    return connect(connection);
}

/** A line of provider progress: the engine shows the plugin's stderr as diagnostics. */
export function progress(message: string): void {
    process.stderr.write(`${message}\n`);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
