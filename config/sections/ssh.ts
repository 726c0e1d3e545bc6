/** deploy.yml `ssh`: how to reach the hosts, and how their keys are checked. */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { expandHome } from "../../common/home";
import { input, port } from "./fields";
import type { Field, KeySpec, Path, Reader } from "./reader";

export const sshSchema = z.strictObject({
    user: input(z.string().min(1)).default("root"),
    port: port("ssh.port").default(22),
    /** The private key's text (pass it as a secret). Falls back to keyPath. */
    privateKey: input(z.string()).optional(),
    /** Path of a private key file, read on the deploying machine at deploy time. */
    keyPath: z.string().optional(),
    /** A jump host, `[user@]host[:port]`, as Kamal's `ssh.proxy`. */
    proxy: z.string().optional(),
    /** Verify host keys (default true): against `hostKeys` pins, else the `knownHosts` file. */
    verifyHostKey: z.boolean().default(true),
    /** known_hosts file read at deploy time; default ~/.ssh/known_hosts. */
    knownHosts: z.string().optional(),
    /** Pinned host key fingerprints, `{ "1.2.3.4": "SHA256:..." }`. */
    hostKeys: z.record(z.string(), z.string().startsWith("SHA256:", { error: "host key pins are OpenSSH SHA256 fingerprints: SHA256:..." })).optional(),
});

const SSH: KeySpec = {
    ours: ["user", "port", "proxy", "keys", "key_data", "verify_host_key", "known_hosts", "host_keys"],
    kamal: {
        proxy_command: "ignored; use ssh.proxy (a jump host, [user@]host) instead",
        log_level: "ignored; SSH sessions are not logged",
        keys_only: "ignored; the key from ssh.keys or ssh.key_data is used when set",
        config: "ignored; OpenSSH config files are not read: set ssh.user, ssh.port, ssh.proxy and ssh.keys here",
        forward_agent: "ignored; the SSH agent is never forwarded to the hosts",
    },
};

export function readSsh(r: Reader, f: Field, argPath: Path): Record<string, unknown> | undefined {
    const m = r.map(f, SSH, argPath);
    if (!m) return undefined;
    const out: Record<string, unknown> = {};
    r.put(out, "user", argPath, m.get("user"), (x, p) => r.str(x, p));
    r.put(out, "port", argPath, m.get("port"), (x, p) => r.int(x, p));
    // Kamal's jump host defaults to root@ when it names no user.
    r.put(out, "proxy", argPath, m.get("proxy"), (x, p) => {
        const s = r.str(x, p);
        return s === undefined ? undefined : s.includes("@") ? s : `root@${s}`;
    });
    const keys = m.get("keys");
    if (keys) {
        const list = r.strList(keys, [...argPath, "keyPath"]);
        if (list && list.length > 0) {
            out.keyPath = expandHome(list[0]);
            r.record([...argPath, "keyPath"], keys.origin, [...keys.ypath, 0]);
            if (list.length > 1) r.warnAt(keys.origin, keys.ypath, `only the first key (${list[0]}) is used`);
        }
    }
    const keyData = m.get("key_data");
    if (keyData) {
        const items = r.items(keyData, [...argPath, "privateKey"]);
        if (items && items.length > 0) {
            const first = items[0];
            const ref = r.str(first, [...argPath, "privateKey"]);
            if (ref !== undefined) {
                r.record([...argPath, "privateKey"], first.origin, first.ypath);
                if (ref.includes("-----BEGIN")) {
                    out.privateKey = pulumi.secret(ref);
                    r.warnAt(first.origin, first.ypath, "an inline private key is deprecated in Kamal: put it in .kamal/secrets and list its name here");
                } else {
                    const value = r.secret(ref, first, [...argPath, "privateKey"]);
                    if (value) out.privateKey = value;
                }
            }
            if (items.length > 1) r.warnAt(keyData.origin, keyData.ypath, "only the first key is used");
        }
    }
    r.put(out, "verifyHostKey", argPath, m.get("verify_host_key"), (x, p) => r.bool(x, p));
    r.put(out, "knownHosts", argPath, m.get("known_hosts"), (x, p) => {
        const s = r.str(x, p);
        return s === undefined ? undefined : expandHome(s);
    });
    r.put(out, "hostKeys", argPath, m.get("host_keys"), (x, p) => r.strMap(x, p));
    return out;
}
