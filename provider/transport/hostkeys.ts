/** Host key checks: pinned fingerprints or an OpenSSH known_hosts file. Pure functions. */
import { createHash, createHmac } from "node:crypto";

/** OpenSSH's `SHA256:...` fingerprint of a raw public key blob. */
export function fingerprint(keyBlob: Buffer): string {
    return `SHA256:${createHash("sha256").update(keyBlob).digest("base64").replace(/=+$/, "")}`;
}

/** How known_hosts names a host: `host`, or `[host]:port` off port 22. */
function hostPattern(host: string, port: number): string {
    return port === 22 ? host : `[${host}]:${port}`;
}

function globMatch(pattern: string, name: string): boolean {
    const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`);
    return re.test(name);
}

function nameMatches(field: string, name: string): boolean {
    if (field.startsWith("|1|")) {
        const [, , salt, hash] = field.split("|");
        return createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64") === hash;
    }
    let matched = false;
    for (const pattern of field.split(",")) {
        if (pattern.startsWith("!")) {
            if (globMatch(pattern.slice(1), name)) return false;
        } else if (globMatch(pattern, name)) {
            matched = true;
        }
    }
    return matched;
}

export type HostKeyVerdict = "trusted" | "revoked" | "mismatch" | "unknown";

/** Checks a presented key against known_hosts text: trusted only when a line for this host holds exactly this key. */
export function checkKnownHosts(text: string, host: string, port: number, keyBlob: Buffer): HostKeyVerdict {
    const name = hostPattern(host, port);
    const presented = keyBlob.toString("base64");
    let sawHost = false;
    let trusted = false;
    for (const raw of text.split("\n")) {
        const line = raw.trim();
        if (!line || line.startsWith("#")) continue;
        const fields = line.split(/\s+/);
        const marker = fields[0].startsWith("@") ? fields.shift() : undefined;
        // As OpenSSH: only `@revoked` applies here. `@cert-authority`, unknown or
        // misspelt markers, and a second marker make the line one to skip, never a plain key.
        if (marker !== undefined && (marker !== "@revoked" || fields[0]?.startsWith("@"))) continue;
        if (fields.length < 3 || !nameMatches(fields[0], name)) continue;
        if (marker === "@revoked") {
            if (fields[2] === presented) return "revoked";
            continue;
        }
        sawHost = true;
        if (fields[2] === presented) trusted = true;
    }
    // Every line is read first: a @revoked line wins wherever it sits, as in OpenSSH.
    return trusted ? "trusted" : sawHost ? "mismatch" : "unknown";
}
