/**
 * One transport per host for the whole provider process: every dynamic
 * resource of a deployment runs in the same process, so they share one SSH
 * connection per host.
 */
import { createHash } from "node:crypto";
import { LocalTransport } from "./local";
import { SshTarget, SshTransport } from "./ssh";
import { tracedTransport } from "../trace";
import { Transport } from "./types";

export * from "./types";
export type { SshTarget } from "./ssh";

const pool = new Map<string, Transport>();

export const isLocalHost = (host: string) => host === "localhost";

export function transportFor(target: SshTarget): Transport {
    if (isLocalHost(target.host)) return (pool.get("localhost") as Transport) ?? pool.set("localhost", new LocalTransport()).get("localhost")!;
    // Everything that decides whom we trust and how we log in is part of the key: a connection
    // opened without host key verification must never serve an app that demands it.
    const key = createHash("sha256").update(JSON.stringify([
        target.user, target.host, target.port, target.verifyHostKey, target.knownHosts ?? null, target.hostKeys ?? null,
        target.proxy ?? null, target.keyPath ?? null, target.privateKey ?? null,
    ])).digest("hex");
    let t = pool.get(key);
    if (!t) {
        t = new SshTransport(target);
        pool.set(key, t);
    }
    return t;
}

/** Tests swap in fakes here. */
export function setTransportFactory(factory: ((target: SshTarget) => Transport) | undefined): void {
    pool.clear();
    overrideFactory = factory;
}
let overrideFactory: ((target: SshTarget) => Transport) | undefined;

export function connect(target: SshTarget): Transport {
    return tracedTransport(overrideFactory ? overrideFactory(target) : transportFor(target));
}
