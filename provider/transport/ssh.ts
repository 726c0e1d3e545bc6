import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { NodeSSH } from "node-ssh";
import type { Argv } from "../commands/docker";
import { join } from "../commands/shell";
import { traced } from "../trace";
import { checkKnownHosts, fingerprint } from "./hostkeys";
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

const expandHome = (p: string) => (p.startsWith("~/") ? `${homedir()}${p.slice(1)}` : p);

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

/** One SSH connection to a host, shared by every resource of a deployment that targets it. */
export class SshTransport implements Transport {
    readonly host: string;
    private connecting?: Promise<NodeSSH>;
    private jump?: NodeSSH;
    /** Aborts of the commands running now: a lost connection fails them all at once. */
    private readonly pending = new Set<(why: string) => void>();

    constructor(private readonly target: SshTarget) {
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

    private async open(host: string, port: number, user: string, sock?: NodeJS.ReadableStream): Promise<NodeSSH> {
        const refusal: { reason?: string } = {};
        const ssh = new NodeSSH();
        try {
            await traced("", host, "login", () => ssh.connect({
                host, port, username: user,
                privateKey: this.privateKey(),
                hostVerifier: hostVerifier({ ...this.target, host, port }, refusal),
                readyTimeout: 20_000,
                keepaliveInterval: 10_000,
                keepaliveCountMax: 3,
                ...(sock ? { sock: sock as any } : {}),
            }));
        } catch (e) {
            throw new TransportError(host, `SSH connection failed: ${refusal.reason ?? (e as Error).message}`);
        }
        this.watch(ssh);
        return ssh;
    }

    /**
     * ssh2 reports a keepalive timeout or a reset as an error then a close, but a
     * command's channel may never report its exit: fail every pending command here.
     */
    private watch(ssh: Pick<NodeSSH, "connection">): void {
        let lastError = "";
        ssh.connection?.on("error", (e: Error) => { lastError = e.message; });
        ssh.connection?.on("close", () => {
            this.connecting = undefined; // reconnect on next use
            for (const abort of [...this.pending]) abort(`SSH connection lost${lastError ? ` (${lastError})` : ""}`);
        });
    }

    private connection(): Promise<NodeSSH> {
        this.connecting ??= (async () => {
            if (!this.target.proxy) return this.open(this.host, this.target.port, this.target.user);
            const jump = parseJump(this.target.proxy, this.target.user);
            this.jump = await this.open(jump.host, jump.port, jump.user);
            const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) =>
                this.jump!.connection!.forwardOut("127.0.0.1", 0, this.host, this.target.port, (err, s) => (err ? reject(err) : resolve(s))));
            return this.open(this.host, this.target.port, this.target.user, stream);
        })();
        this.connecting.catch(() => { this.connecting = undefined; });
        return this.connecting;
    }

    async exec(argv: Argv, options: ExecOptions = {}): Promise<ExecResult> {
        const ssh = await this.connection();
        return new Promise<ExecResult>((resolve, reject) => {
            let settled = false;
            let channel: { close(): void } | undefined;
            const settle = (fn: () => void) => {
                if (settled) return;
                settled = true;
                this.pending.delete(abort);
                clearTimeout(timer);
                options.signal?.removeEventListener("abort", onAbort);
                fn();
            };
            // Timeouts and interrupts settle at once: a closed channel may never report an exit.
            const abort = (why: string) => settle(() => {
                channel?.close();
                reject(new TransportError(this.host, `${why} while running \`${argv.slice(0, 3).join(" ")}\``));
            });
            this.pending.add(abort);
            const timer = options.timeoutMs ? setTimeout(() => abort(`timed out after ${options.timeoutMs! / 1000}s`), options.timeoutMs) : undefined;
            const onAbort = () => abort("interrupted");
            if (options.signal?.aborted) return onAbort();
            options.signal?.addEventListener("abort", onAbort, { once: true });
            ssh.execCommand(join(argv), {
                stdin: options.stdin,
                noTrim: true,
                onChannel: (c) => { channel = c; },
                onStdout: options.onStdout && ((b) => options.onStdout!(b.toString("utf8"))),
                onStderr: options.onStderr && ((b) => options.onStderr!(b.toString("utf8"))),
            }).then(
                (r) => settle(() => {
                    // No exit code: the channel closed under us (connection lost, sshd killed).
                    if (r.code === null) reject(new TransportError(this.host, `SSH connection lost while running \`${argv.slice(0, 3).join(" ")}\``));
                    else resolve({ code: r.code, stdout: r.stdout, stderr: r.stderr });
                }),
                (e) => settle(() => reject(new TransportError(this.host, `SSH command failed: ${(e as Error).message}`))),
            );
        });
    }

    dispose(): void {
        this.connecting?.then((s) => s.dispose()).catch(() => undefined);
        this.jump?.dispose();
        this.connecting = undefined;
    }
}
