/**
 * Registry login without `docker login`: user name and password reach the
 * host on stdin only, stored where and how `docker login` stores them.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join as pathJoin } from "node:path";
import { planLogin, readDockerConfig, registryKey, storeCredentials, writeDockerConfig } from "../../provider/commands/registry";

const b64 = (s: string) => Buffer.from(s).toString("base64");

describe("registry login", () => {
    it("no builder carries a credential: the values go on stdin", () => {
        for (const argv of [readDockerConfig(), writeDockerConfig(), storeCredentials("pass")]) {
            assert.ok(!argv.join(" ").match(/secret-user|pw/), argv.join(" "));
        }
        const plan = planLogin("", "ghcr.io", "secret-user", "pw");
        assert.equal(plan.kind, "config");
        assert.match(plan.stdin, new RegExp(b64("secret-user:pw")));
    });

    it("keys the entry as docker login does: the registry host, or Docker Hub's URL", () => {
        assert.equal(registryKey("ghcr.io"), "ghcr.io");
        assert.equal(registryKey("172.17.0.1:5000"), "172.17.0.1:5000");
        assert.equal(registryKey("https://registry.example.com/v2/"), "registry.example.com");
        for (const hub of [undefined, "", "docker.io", "index.docker.io", "https://index.docker.io/v1/"]) assert.equal(registryKey(hub), "https://index.docker.io/v1/", String(hub));
    });

    it("keeps everything else in the config and replaces only this registry's entry", () => {
        const current = JSON.stringify({ auths: { "other.io": { auth: "b3RoZXI=" }, "ghcr.io": { auth: "b2xk" } }, HttpHeaders: { "User-Agent": "x" } });
        const plan = planLogin(current, "ghcr.io", "bob", "pw");
        assert.equal(plan.kind, "config");
        assert.deepEqual(JSON.parse(plan.stdin), { auths: { "other.io": { auth: "b3RoZXI=" }, "ghcr.io": { auth: b64("bob:pw") } }, HttpHeaders: { "User-Agent": "x" } });
    });

    it("hands the credentials to the configured credential helper (credHelpers for this registry, else credsStore)", () => {
        const viaStore = planLogin(JSON.stringify({ credsStore: "pass" }), "ghcr.io", "bob", "pw");
        assert.deepEqual(viaStore, { kind: "helper", argv: ["docker-credential-pass", "store"], stdin: JSON.stringify({ ServerURL: "ghcr.io", Username: "bob", Secret: "pw" }) });
        const viaHelper = planLogin(JSON.stringify({ credsStore: "pass", credHelpers: { "ghcr.io": "gh" } }), "ghcr.io", "bob", "pw");
        assert.deepEqual(viaHelper.kind === "helper" && viaHelper.argv, ["docker-credential-gh", "store"]);
        assert.throws(() => planLogin(JSON.stringify({ credsStore: "x; rm -rf /" }), "ghcr.io", "bob", "pw"), /not a plain program suffix/);
    });

    it("refuses a config that is not JSON without echoing it (it holds other credentials)", () => {
        assert.throws(() => planLogin('{"auths": {"a": {"auth": "c2VjcmV0"}', "ghcr.io", "bob", "pw"), (e: Error) => {
            assert.match(e.message, /is not valid JSON; fix or remove it/);
            assert.doesNotMatch(e.message, /c2VjcmV0/);
            return true;
        });
    });

    describe("run for real by sh", () => {
        let home: string;
        beforeEach(() => { home = mkdtempSync(pathJoin(tmpdir(), "kamal-login-")); });
        afterEach(() => rmSync(home, { recursive: true, force: true }));
        const sh = (argv: string[], input = "") => spawnSync(argv[0], argv.slice(1), { input, encoding: "utf8", env: { PATH: process.env.PATH, HOME: home } });

        it("reads nothing when there is no config, then writes it 0600 in ~/.docker, atomically", () => {
            const read = sh(readDockerConfig());
            assert.equal(read.status, 0);
            assert.equal(read.stdout, "");
            const plan = planLogin(read.stdout, "ghcr.io", "bob", "pw");
            assert.equal(sh(writeDockerConfig(), plan.stdin).status, 0);
            const file = pathJoin(home, ".docker", "config.json");
            assert.deepEqual(JSON.parse(readFileSync(file, "utf8")), { auths: { "ghcr.io": { auth: b64("bob:pw") } } });
            assert.equal(statSync(file).mode & 0o777, 0o600);
            assert.equal(sh(readDockerConfig()).stdout, plan.stdin);
        });

        it("merges into an existing config", () => {
            sh(["mkdir", "-p", pathJoin(home, ".docker")]);
            writeFileSync(pathJoin(home, ".docker", "config.json"), JSON.stringify({ auths: { "other.io": { auth: "eA==" } } }));
            const plan = planLogin(sh(readDockerConfig()).stdout, undefined, "bob", "pw");
            assert.equal(sh(writeDockerConfig(), plan.stdin).status, 0);
            assert.deepEqual(JSON.parse(readFileSync(pathJoin(home, ".docker", "config.json"), "utf8")).auths, {
                "other.io": { auth: "eA==" }, "https://index.docker.io/v1/": { auth: b64("bob:pw") },
            });
        });
    });
});
