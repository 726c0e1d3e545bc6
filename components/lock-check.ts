import * as pulumi from "@pulumi/pulumi";
import { lockWarning, LockSpec } from "../provider/effects/lock";
import { isLocalHost } from "../provider/transport";
import { LocalTransport } from "../provider/transport/local";
import { SshTransport } from "../provider/transport/ssh";

/**
 * For `preview`: warns (through the engine, from the program) when the
 * deploy lock is held. Its own connection, closed after, so the program ends.
 * An unreachable host is not a preview error here: the deploy reports it.
 */
export async function warnIfLocked(spec: LockSpec): Promise<boolean> {
    if (!spec?.connection?.host) return false;
    const ssh = isLocalHost(spec.connection.host) ? undefined : new SshTransport(spec.connection);
    try {
        const message = await lockWarning(spec, ssh ?? new LocalTransport());
        if (message) await pulumi.log.warn(message);

        return !!message;
    } catch {
        return false;
    } finally {
        ssh?.dispose();
    }
}
