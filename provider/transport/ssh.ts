import { readFileSync } from "node:fs";
import { Config, NodeSSH } from "node-ssh";
import type { Argv } from "../commands/docker";
import { join } from "../commands/shell";
import { traced } from "../trace";
import { commandBound, CONNECT_TIMEOUT_MS, KEEPALIVE_COUNT_MAX, KEEPALIVE_INTERVAL_MS, SilentHost, stepName, withTimeout } from "./bounds";
import { checkKnownHosts, fingerprint } from "./hostkeys";
import { expandHome } from "../../common/home";
import { ExecOptions, ExecResult, Transport, TransportError } from "./types";

/** How to reach a host over SSH; resolved from the app's `ssh` settings. */
export interface SshTarget {
    host: string;
    user: string;
    port: number;
    privateKey?: string;
    keyPath?: string;
    /** Jump host, `[user@]host[:port]`. */
    proxy?: string;
    verifyHostKey: boolean;
    knownHosts?: string;
    hostKeys?: Record<string, string>;
}

/** Builds ssh2's hostVerifier; remembers why a key was refused so the error can say it. */
function hostVerifier(target: SshTarget, refusal: { reason?: string }) {
    return (key: Buffer): boolean => {
        if (!target.verifyHostKey) return true;
        const presented = fingerprint(key);
        const pinned = target.hostKeys?.[target.host];
        if (pinned) {
            if (pinned === presented) return true;
            refusal.reason = `host key ${presented} does not match the pinned ssh.hostKeys["${target.host}"] (${pinned}); if the host was rebuilt, update the pin`;
            return false;
        }
        const file = expandHome(target.knownHosts ?? "~/.ssh/known_hosts");
        let text = "";
        try {
            text = readFileSync(file, "utf8");
        } catch {
            refusal.reason = `cannot read known_hosts file ${file}; add the host with \`ssh-keyscan\`, pin it in ssh.hostKeys, or set ssh.verifyHostKey: false`;
            return false;
        }
        const verdict = checkKnownHosts(text, target.host, target.port, key);
        if (verdict === "trusted") return true;
        refusal.reason = {
            revoked: `host key ${presented} is marked @revoked in ${file}`,
            mismatch: `HOST KEY MISMATCH: ${presented} is not the key ${file} lists for this host; someone may be intercepting, or the host was rebuilt (then fix ${file})`,
            unknown: `host key ${presented} is not in ${file}; add it (ssh-keyscan -p ${target.port} ${target.host} >> ${file}), pin it in ssh.hostKeys, or set ssh.verifyHostKey: false`,
        }[verdict];
        return false;
    };
}

function parseJump(spec: string, fallbackUser: string): { host: string; user: string; port: number } {
    const m = /^(?:([^@]+)@)?([^:@]+)(?::(\d+))?$/.exec(spec);
    if (!m) throw new Error(`ssh.proxy "${spec}" is not [user@]host[:port]`);
    return { user: m[1] ?? fallbackUser, host: m[2], port: m[3] ? Number(m[3]) : 22 };
}

/**
 * What the transport needs of an SSH connection (node-ssh's NodeSSH; tests pass fakes).
 * @internal Kept out of the published typings: node-ssh's need `@types/ssh2` and `esModuleInterop`.
 */
export type SshConnection = Pick<NodeSSH, "execCommand" | "dispose"> & { connection: Pick<NonNullable<NodeSSH["connection"]>, "on" | "forwardOut"> | null };

/**
 * Opens one SSH connection; `sock` is the stream through a jump host.
 * @internal
 */
export type Dial = (options: Config & { host: string; port: number; username: string }) => Promise<SshConnection>;

const dialNodeSsh: Dial = async (options) => {
    const ssh = new NodeSSH();
    await ssh.connect(options);
    return ssh;
};

/** A live connection and the aborts of the commands running on it: losing it fails them all at once. */
interface Live {
    ssh: SshConnection;
    pending: Set<(why: string) => void>;
    /** Dropped from use (a command timed out, or it closed): new commands open a new connection. */
    retired: boolean;
}

/**
 * One SSH connection to a host, shared by every resource of a deployment that
 * targets it. Every step is bounded (bounds.ts): connect, keepalive, and each
 * command. A connection that closes, or on which a command timed out, is
 * dropped so the next command reconnects.
 */
export class SshTransport implements Transport {
    readonly host: string;
    private connecting?: Promise<Live>;
    /** The connection `connecting` resolved to. */
    private current?: Live;
    private jump?: SshConnection;
    private readonly silent = new SilentHost();

    constructor(target: SshTarget);
    /** @internal Tests pass a fake dial. */
    constructor(target: SshTarget, dial: Dial);
    constructor(private readonly target: SshTarget, private readonly dial: Dial = dialNodeSsh) {
        this.host = target.host;
    }

    private privateKey(): string {
        if (this.target.privateKey) return this.target.privateKey;
        const path = expandHome(this.target.keyPath ?? "~/.ssh/id_ed25519");
        try {
            return readFileSync(path, "utf8");
        } catch {
            throw new TransportError(this.host, `no SSH key: set ssh.privateKey (a secret) or ssh.keyPath (${path} is not readable)`);
        }
    }

    private async open(host: string, port: number, user: string, sock?: NodeJS.ReadableStream): Promise<SshConnection> {
        const refusal: { reason?: string } = {};
        try {
            return await traced("", host, "login", () => this.dial({
                host, port, username: user,
                privateKey: this.privateKey(),
                hostVerifier: hostVerifier({ ...this.target, host, port }, refusal),
                readyTimeout: CONNECT_TIMEOUT_MS,
                keepaliveInterval: KEEPALIVE_INTERVAL_MS,
                keepaliveCountMax: KEEPALIVE_COUNT_MAX,
                ...(sock ? { sock: sock as any } : {}),
            }));
        } catch (e) {
            const message = (e as Error).message;
            if (/timed out/i.test(message)) {
                const why = `did not answer the SSH connect to ${host}:${port} within ${CONNECT_TIMEOUT_MS / 1000}s`;
                this.silent.mark(why);
                throw new TransportError(this.host, why);
            }
            throw new TransportError(host, `SSH connection failed: ${refusal.reason ?? message}`);
        }
    }

    /**
     * ssh2 reports a keepalive timeout or a reset as an error then a close, but a
     * command's channel may never report its exit: fail every pending command here.
     */
    private watch(live: Live): void {
        let lastError = "";
        const lost = () => {
            this.retire(live);
            for (const abort of [...live.pending]) abort(`SSH connection lost${lastError ? ` (${lastError})` : ""}`);
        };
        live.ssh.connection?.on("error", (e: Error & { level?: string }) => {
            lastError = e.message;
            // A keepalive timeout means the host stopped answering: fail now, not when TCP gives up.
            if (e.level === "client-timeout") lost();
        });
        live.ssh.connection?.on("close", lost);
    }

    /** New commands go to a new connection; this one is closed once its last command settles. */
    private retire(live: Live): void {
        if (!live.retired) {
            live.retired = true;
            if (this.connecting && this.current === live) this.connecting = undefined;
        }
        if (live.pending.size === 0) {
            try { live.ssh.dispose(); } catch { /* already gone */ }
        }
    }

    private connection(): Promise<Live> {
        const silent = this.silent.check();
        if (silent && !this.connecting) return Promise.reject(new TransportError(this.host, silent));
        this.connecting ??= (async () => {
            let ssh: SshConnection;
            if (!this.target.proxy) {
                ssh = await this.open(this.host, this.target.port, this.target.user);
            } else {
                const jump = parseJump(this.target.proxy, this.target.user);
                this.jump?.dispose(); // the previous connection's, if any
                this.jump = await this.open(jump.host, jump.port, jump.user);
                const stream = await withTimeout(new Promise<NodeJS.ReadableStream>((resolve, reject) =>
                    this.jump!.connection!.forwardOut("127.0.0.1", 0, this.host, this.target.port, (err, s) => (err ? reject(err) : resolve(s)))),
                CONNECT_TIMEOUT_MS, () => new TransportError(this.host, `jump host ${jump.host} did not open a channel to ${this.host}:${this.target.port} within ${CONNECT_TIMEOUT_MS / 1000}s`));
                ssh = await this.open(this.host, this.target.port, this.target.user, stream);
            }
            this.silent.clear();
            const live: Live = { ssh, pending: new Set(), retired: false };
            this.current = live;
            this.watch(live);
            return live;
        })();
        const attempt = this.connecting;
        attempt.catch(() => { if (this.connecting === attempt) this.connecting = undefined; });
        return attempt;
    }

    async exec(argv: Argv, options: ExecOptions = {}): Promise<ExecResult> {
        const step = stepName(argv);
        const timeoutMs = options.timeoutMs ?? commandBound(argv);
        if (options.signal?.aborted) throw new TransportError(this.host, `interrupted before \`${step}\``);
        // The connect is bounded by ssh2's readyTimeout, and the command's own bound covers the rest.
        const live = await this.connection();
        return new Promise<ExecResult>((resolve, reject) => {
            let settled = false;
            let channel: { close(): void } | undefined;
            const settle = (fn: () => void) => {
                if (settled) return;
                settled = true;
                live.pending.delete(abort);
                clearTimeout(timer);
                options.signal?.removeEventListener("abort", onAbort);
                if (live.retired && live.pending.size === 0) this.retire(live);
                fn();
            };
            // Timeouts and interrupts settle at once: a closed channel may never report an exit.
            const abort = (why: string) => settle(() => {
                try { channel?.close(); } catch { /* connection gone */ }
                reject(new TransportError(this.host, `${why} while running \`${step}\``));
            });
            live.pending.add(abort);
            const timer = setTimeout(() => {
                // A command that overran its bound may sit on a dead connection: no new command uses it.
                this.retire(live);
                abort(`timed out after ${timeoutMs / 1000}s`);
            }, timeoutMs);
            const onAbort = () => abort("interrupted");
            options.signal?.addEventListener("abort", onAbort, { once: true });
            live.ssh.execCommand(join(argv), {
                stdin: options.stdin,
                noTrim: true,
                onChannel: (c) => { channel = c; },
                onStdout: options.onStdout && ((b) => options.onStdout!(b.toString("utf8"))),
                onStderr: options.onStderr && ((b) => options.onStderr!(b.toString("utf8"))),
            }).then(
                (r) => settle(() => {
                    // No exit code: the channel closed under us (connection lost, sshd killed).
                    if (r.code === null) reject(new TransportError(this.host, `SSH connection lost while running \`${step}\``));
                    else resolve({ code: r.code, stdout: r.stdout, stderr: r.stderr });
                }),
                (e) => settle(() => reject(new TransportError(this.host, `SSH command \`${step}\` failed: ${(e as Error).message}`))),
            );
        });
    }

    dispose(): void {
        this.connecting?.then((l) => l.ssh.dispose()).catch(() => undefined);
        this.jump?.dispose();
        this.connecting = undefined;
    }
}
