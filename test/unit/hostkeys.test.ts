/** Host key checks against keys and known_hosts files made by the real ssh-keygen. */
import { EventEmitter } from "node:events";
import { SshTransport } from "../../provider/transport/ssh";
import { transportFor } from "../../provider/transport";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { checkKnownHosts, fingerprint } from "../../provider/transport/hostkeys";

interface Key {
    type: string;
    base64: string;
    blob: Buffer;
    pubFile: string;
}

describe("host keys", function () {
    this.timeout(20_000);
    let dir: string;
    let key: Key;
    let other: Key;
    let rsa: Key;

    const keygen = (name: string, type: string): Key => {
        const file = join(dir, name);
        execFileSync("ssh-keygen", ["-q", "-t", type, "-N", "", "-C", `${name}@test`, "-f", file]);
        const [keyType, base64] = readFileSync(`${file}.pub`, "utf8").trim().split(/\s+/);
        return { type: keyType, base64, blob: Buffer.from(base64, "base64"), pubFile: `${file}.pub` };
    };
    const line = (names: string, k: Key, marker?: string) => `${marker ? `${marker} ` : ""}${names} ${k.type} ${k.base64}`;

    before(() => {
        dir = mkdtempSync(join(tmpdir(), "kamal-hostkeys-"));
        key = keygen("host", "ed25519");
        other = keygen("other", "ed25519");
        rsa = keygen("rsa", "rsa");
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    describe("fingerprint", () => {
        it("matches ssh-keygen -lf", () => {
            for (const k of [key, other, rsa]) {
                const listed = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", k.pubFile], { encoding: "utf8" }).split(/\s+/)[1];
                assert.match(listed, /^SHA256:[A-Za-z0-9+/]+$/);
                assert.equal(fingerprint(k.blob), listed);
            }
        });
    });

    describe("checkKnownHosts", () => {
        it("trusts a plain entry with this key", () => {
            assert.equal(checkKnownHosts(line("web1.example.com", key), "web1.example.com", 22, key.blob), "trusted");
        });

        it("matches any name of a comma-separated list, and only those", () => {
            const text = line("web1.example.com,10.0.0.1", key);
            assert.equal(checkKnownHosts(text, "10.0.0.1", 22, key.blob), "trusted");
            assert.equal(checkKnownHosts(text, "10.0.0.2", 22, key.blob), "unknown");
            assert.equal(checkKnownHosts(text, "web1", 22, key.blob), "unknown");
        });

        it("trusts any of several lines for the host (one per key type)", () => {
            const text = [line("web1", rsa), line("web1", key)].join("\n");
            assert.equal(checkKnownHosts(text, "web1", 22, key.blob), "trusted");
            assert.equal(checkKnownHosts(text, "web1", 22, rsa.blob), "trusted");
        });

        it("skips comments, blank lines and @cert-authority lines", () => {
            const text = [
                "# a comment mentioning web1",
                "",
                "   ",
                line("*", other, "@cert-authority"),
                line("web1", key),
            ].join("\n");
            assert.equal(checkKnownHosts(text, "web1", 22, key.blob), "trusted");
            assert.equal(checkKnownHosts(line("*", key, "@cert-authority"), "web1", 22, key.blob), "unknown");
        });

        it("reports a mismatch when the host is listed with another key", () => {
            assert.equal(checkKnownHosts(line("web1", other), "web1", 22, key.blob), "mismatch");
        });

        it("reports unknown when no line names the host", () => {
            assert.equal(checkKnownHosts(line("web2", key), "web1", 22, key.blob), "unknown");
            assert.equal(checkKnownHosts("", "web1", 22, key.blob), "unknown");
        });

        it("does not let a plain port-22 entry vouch for another port", () => {
            assert.equal(checkKnownHosts(line("web1", key), "web1", 2222, key.blob), "unknown");
        });

        it("matches hashed entries written by ssh-keygen -H, port 22 and [host]:port", () => {
            const file = join(dir, "known_hosts_hashed");
            writeFileSync(file, [line("web1.example.com", key), line("[web2.example.com]:2222", key), line("10.0.0.3", other)].join("\n") + "\n");
            execFileSync("ssh-keygen", ["-H", "-f", file], { stdio: "ignore" });
            const text = readFileSync(file, "utf8");
            assert.ok(text.startsWith("|1|"), "ssh-keygen hashed the file");
            assert.ok(!text.includes("web1"));

            assert.equal(checkKnownHosts(text, "web1.example.com", 22, key.blob), "trusted");
            assert.equal(checkKnownHosts(text, "web2.example.com", 2222, key.blob), "trusted");
            assert.equal(checkKnownHosts(text, "web2.example.com", 22, key.blob), "unknown");
            assert.equal(checkKnownHosts(text, "10.0.0.3", 22, key.blob), "mismatch");
            assert.equal(checkKnownHosts(text, "web9.example.com", 22, key.blob), "unknown");
        });

        it("matches wildcards * and ?", () => {
            assert.equal(checkKnownHosts(line("*.example.com", key), "web1.example.com", 22, key.blob), "trusted");
            assert.equal(checkKnownHosts(line("*.example.com", key), "example.com", 22, key.blob), "unknown");
            assert.equal(checkKnownHosts(line("web?.example.com", key), "web7.example.com", 22, key.blob), "trusted");
            assert.equal(checkKnownHosts(line("web?.example.com", key), "web10.example.com", 22, key.blob), "unknown");
            assert.equal(checkKnownHosts(line("10.0.0.*", key), "10.0.0.42", 22, key.blob), "trusted");
        });

        it("treats dots in patterns literally", () => {
            assert.equal(checkKnownHosts(line("web1.example.com", key), "web1xexample.com", 22, key.blob), "unknown");
        });

        it("a negated pattern excludes a host that a wildcard would match", () => {
            const text = line("*.example.com,!bad.example.com", key);
            assert.equal(checkKnownHosts(text, "good.example.com", 22, key.blob), "trusted");
            assert.equal(checkKnownHosts(text, "bad.example.com", 22, key.blob), "unknown");
            // the negation wins wherever it appears in the list
            assert.equal(checkKnownHosts(line("!bad.example.com,*.example.com", key), "bad.example.com", 22, key.blob), "unknown");
        });

        it("@revoked: the key is refused for the hosts the line names", () => {
            const text = [line("*", key, "@revoked"), line("web1", key)].join("\n");
            assert.equal(checkKnownHosts(text, "web1", 22, key.blob), "revoked");
            // another key for the same host is unaffected
            assert.equal(checkKnownHosts([line("*", other, "@revoked"), line("web1", key)].join("\n"), "web1", 22, key.blob), "trusted");
            // a revocation alone does not make the host known
            assert.equal(checkKnownHosts(line("web1", other, "@revoked"), "web1", 22, key.blob), "unknown");
        });

        it("never trusts a key on a line with an unknown, misspelt or doubled @marker (OpenSSH skips such lines)", () => {
            for (const marker of ["@trusted", "@REVOKED", "@revoke", "@", "@cert-authority @revoked", "@revoked @revoked"]) {
                assert.equal(checkKnownHosts(line("web1", key, marker), "web1", 22, key.blob), "unknown", marker);
                // nor does such a line make the host known, so a plain line decides
                assert.equal(checkKnownHosts([line("web1", other, marker), line("web1", key)].join("\n"), "web1", 22, key.blob), "trusted", marker);
            }
        });

        it("@revoked wins wherever its line sits, as in OpenSSH", () => {
            assert.equal(checkKnownHosts([line("web1", key), line("*", key, "@revoked")].join("\n"), "web1", 22, key.blob), "revoked");
        });

        it("matches plain [host]:port entries written by ssh-keyscan -p", () => {
            assert.equal(checkKnownHosts(line("[web1]:2222", key), "web1", 2222, key.blob), "trusted");
            assert.equal(checkKnownHosts(line("[web1]:2222", key), "web1", 22, key.blob), "unknown");
        });

        it("tolerates trailing comments and extra whitespace", () => {
            assert.equal(checkKnownHosts(`  web1\t${key.type}   ${key.base64}   a comment here\n`, "web1", 22, key.blob), "trusted");
        });
    });
});

describe("connection pool", () => {
    const base = { host: "10.0.0.9", user: "deploy", port: 22, verifyHostKey: true };

    it("shares one connection only between identical SSH settings: verification, known_hosts, pins, key and jump host are part of the key", () => {
        assert.equal(transportFor(base), transportFor({ ...base }));
        for (const other of [
            { ...base, verifyHostKey: false },
            { ...base, knownHosts: "/etc/ssh/other_known_hosts" },
            { ...base, hostKeys: { "10.0.0.9": "SHA256:x" } },
            { ...base, privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nother" },
            { ...base, keyPath: "~/.ssh/other" },
            { ...base, proxy: "bastion" },
        ]) {
            assert.notEqual(transportFor(other), transportFor(base), JSON.stringify(Object.keys(other)));
        }
    });
});

describe("SshTransport: a lost connection", () => {
    it("rejects every command pending on it at once, naming the host, the cause and the command (the channels never report an exit)", async () => {
        const connection = new EventEmitter();
        const fake = { connection, execCommand: () => new Promise(() => undefined), dispose: () => undefined };
        const t = new SshTransport({ host: "10.0.0.7", user: "deploy", port: 22, verifyHostKey: true, privateKey: "k" }, async () => fake as any);
        const hook = t.exec(["docker", "exec", "app-web", "bin/migrate"]);
        const other = t.exec(["docker", "ps"]);
        await new Promise((r) => setImmediate(r));
        connection.emit("error", new Error("Keepalive timeout"));
        connection.emit("close");
        await assert.rejects(hook, { name: "TransportError", message: "10.0.0.7: SSH connection lost (Keepalive timeout) while running `docker exec app-web bin/migrate`" });
        await assert.rejects(other, /10\.0\.0\.7: SSH connection lost \(Keepalive timeout\) while running `docker ps`/);
        assert.equal((t as any).connecting, undefined, "the next command reconnects");
    });
});
