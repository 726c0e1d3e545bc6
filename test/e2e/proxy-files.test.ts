/**
 * Issue 10: Kamal's error pages and custom certificates on a real host: the
 * certificate kamal-proxy serves is ours, its maintenance page is ours, and
 * the private key never reaches the state as plaintext.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { KamalApp } from "../../index";
import { onHost, testbed, testStack, TestStack } from "./harness";

const NAME = "kfiles.test";

/** An HTTPS request to `host` for NAME (SNI and Host), trusting any certificate; returns the status, body and certificate CN. */
function httpsGet(host: string, urlPath: string): Promise<{ status: number; body: string; cn: string }> {
    return new Promise((resolve, reject) => {
        const req = https.get({ host, port: 443, path: urlPath, servername: NAME, headers: { Host: NAME }, rejectUnauthorized: false, agent: false, timeout: 10_000 }, (res) => {
            const cert = (res.socket as import("node:tls").TLSSocket).getPeerCertificate();
            let body = "";
            res.setEncoding("utf8").on("data", (d) => (body += d)).on("end", () => resolve({ status: res.statusCode ?? 0, body, cn: String(cert.subject?.CN ?? "") }));
        });
        req.on("timeout", () => req.destroy(new Error("timeout")));
        req.on("error", reject);
    });
}

describe("Kamal's error pages and custom certificates", function () {
    const tb = testbed();
    const h1 = tb.hosts[0];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pk-files-"));
    let s: TestStack;
    let key = "";

    before(async function () {
        execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${NAME}`, "-days", "2",
            "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem")], { stdio: "ignore" });
        key = fs.readFileSync(path.join(dir, "key.pem"), "utf8");
        fs.mkdirSync(path.join(dir, "pages"));
        fs.writeFileSync(path.join(dir, "pages/503.html"), "<h1>kfiles is down for maintenance</h1>\n");
        s = await testStack("kfiles", async () => {
            new KamalApp("kfiles", {
                service: "kfiles",
                image: `${tb.appImage}:v1`,
                roles: { web: { hosts: [h1] } },
                proxy: { host: NAME, ssl: { certificatePem: fs.readFileSync(path.join(dir, "cert.pem"), "utf8"), privateKeyPem: pulumi.secret(key) } },
                errorPagesPath: path.join(dir, "pages"),
                ssh: { user: tb.user, privateKey: pulumi.secret(fs.readFileSync(tb.keyPath, "utf8")), knownHosts: tb.knownHosts },
                registry: tb.registryUser ? { server: tb.registry, username: tb.registryUser, password: pulumi.secret(tb.registryPassword!) } : undefined,
                deployTimeout: 20, drainTimeout: 2,
            });
        });
        await s.up();
    });

    after(async function () {
        onHost(tb, h1, "docker exec kamal-proxy kamal-proxy resume kfiles-web >/dev/null 2>&1; true");
        fs.rmSync(dir, { recursive: true, force: true });
        if (process.env.E2E_KEEP) return;
        await s?.destroy().catch(() => undefined);
    });

    it("kamal-proxy serves our certificate for the host, from Kamal's tls path", async function () {
        const r = await httpsGet(h1, "/version");
        assert.equal(r.status, 200);
        assert.equal(r.body.trim(), "v1");
        assert.equal(r.cn, NAME);
        assert.equal(onHost(tb, h1, "ls .kamal/proxy/apps-config/kfiles/tls/web").split("\n").filter(Boolean).sort().join(" "), "cert.pem key.pem");
        const state = await s.exportState();
        assert.ok(!state.includes(key.split("\n")[1]), "the private key is in the state as plaintext");
    });

    it("maintenance (kamal-proxy stop) answers with our 503 page", async function () {
        onHost(tb, h1, "docker exec kamal-proxy kamal-proxy stop kfiles-web");
        const r = await httpsGet(h1, "/version");
        onHost(tb, h1, "docker exec kamal-proxy kamal-proxy resume kfiles-web");
        assert.equal(r.status, 503);
        assert.match(r.body, /kfiles is down for maintenance/);
        assert.equal(onHost(tb, h1, "ls .kamal/proxy/apps-config/kfiles/error_pages").trim(), "v1");
    });
});
