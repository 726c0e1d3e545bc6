/**
 * Issue 11 §1: two deploys of the same service from two states at once.
 * Real engine (two stacks, two provider processes), real hosts.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { KamalApp } from "../../index";
import { get, onHost, REPO, testbed, testStack, TestStack, waitFor } from "./harness";

describe("the deploy lock: two states deploying the same service", function () {
    const tb = testbed();
    const h1 = tb.hosts[0];
    const LOCK = ".kamal/locks/locked";
    let a: TestStack;
    let b: TestStack;
    const wanted: Record<string, { version: string; hookSeconds: number }> = { a: { version: "v1", hookSeconds: 0 }, b: { version: "v2", hookSeconds: 0 } };

    const program = (who: "a" | "b") => async () => {
        const w = wanted[who];
        new KamalApp("locked", {
            service: "locked",
            image: `${tb.appImage}:${w.version}`,
            roles: { web: { hosts: [h1], ...(w.hookSeconds ? { hooks: { postAppBoot: `sleep ${w.hookSeconds}` } } : {}) } },
            ssh: { user: tb.user, privateKey: pulumi.secret(fs.readFileSync(tb.keyPath, "utf8")), knownHosts: tb.knownHosts },
            registry: tb.registryUser ? { server: tb.registry, username: tb.registryUser, password: pulumi.secret(tb.registryPassword!) } : undefined,
            readinessDelay: 1,
            deployTimeout: 20,
            drainTimeout: 1,
        });
    };
    const lockHeld = () => onHost(tb, h1, `test -d ${LOCK} && echo held || echo free`).trim() === "held";
    const containers = () => onHost(tb, h1, "docker ps --all --filter label=service=locked --format '{{.Names}}'").trim().split("\n").filter(Boolean).sort();

    before(async function () {
        onHost(tb, h1, `rm -rf ${LOCK}; docker rm -f $(docker ps -aq --filter label=service=locked) >/dev/null 2>&1; true`);
        a = await testStack("lock-a", program("a"));
        b = await testStack("lock-b", program("b"));
    });

    after(async function () {
        if (process.env.E2E_KEEP) return;
        await a?.destroy().catch(() => undefined);
        onHost(tb, h1, `rm -rf ${LOCK}; docker rm -f $(docker ps -aq --filter label=service=locked) >/dev/null 2>&1; docker exec kamal-proxy kamal-proxy remove locked-web >/dev/null 2>&1; true`);
    });

    it("a deploy takes the lock and gives it back when it ends, succeeded or failed", async function () {
        await a.up();
        assert.ok(a.output.join("").includes("took the deploy lock"), "the deploy did not report taking the lock");
        await waitFor("the lock to be released", async () => (lockHeld() ? undefined : true), 10_000);
        // The next deploy right after is not blocked.
        wanted.a = { version: "v3", hookSeconds: 0 };
        await a.up();
        assert.equal((await get(`http://${h1}/version`)).body.trim(), "v3");
        // A failed deploy gives it back too: the next one is not blocked.
        wanted.a = { version: "broken", hookSeconds: 0 };
        await assert.rejects(a.up(), /did not become healthy/);
        await waitFor("the lock to be released after a failure", async () => (lockHeld() ? undefined : true), 10_000);
    });

    it("a second deploy while the first runs fails before changing anything, naming the holder; preview still runs and warns of the lock", async function () {
        wanted.a = { version: "v1", hookSeconds: 25 };
        const first = a.up().then(() => "finished", (e: Error) => e.message);
        await waitFor("the first deploy to hold the lock", async () => (lockHeld() ? true : undefined), 60_000);
        const before = containers();

        // preview takes no lock: it runs (and changes nothing) while the lock is held.
        const preview = await b.preview();
        assert.equal(preview.changeSummary.create, 7);
        // With --diff the CLI prints diagnostics on stderr.
        assert.match(preview.stderr, /warning: Deploy lock found on \S+ \(~\/\.kamal\/locks\/locked\), held for \d+s.*A deploy now would fail before changing anything\.\n\s*Locked by: .*\n\s*Version: v1/s,
            `preview does not warn of the held lock:\n${preview.stderr.slice(-3000)}`);
        assert.ok(lockHeld());

        const started = Date.now();
        await assert.rejects(b.up(), (e: Error) => {
            assert.match(e.message, /Deploy lock found on \S+ \(~\/\.kamal\/locks\/locked\), held for \d+s: another deploy of this service is in progress\. Nothing was changed\./);
            assert.match(e.message, /Locked by: \S+ at \S+/);
            assert.match(e.message, /Version: v1/);
            assert.match(e.message, /Message: pulumi up of lock-a\/e2e/);
            return true;
        });
        console.log(`      second deploy refused in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        assert.deepEqual(containers(), before, "the refused deploy changed containers");
        assert.equal(await first, "finished");
        assert.equal((await get(`http://${h1}/version`)).body.trim(), "v1");
        const state = JSON.parse(JSON.stringify((await b.stack.exportStack()).deployment));
        assert.equal((state.resources ?? []).filter((r: { type: string }) => r.type.startsWith("pulumi-nodejs:dynamic")).length, 0, "the refused deploy recorded resources");
    });

    it("a deploy stopped by SIGTERM (how Ctrl-C reaches the provider) gives the lock back at once; the old version keeps serving", async function () {
        wanted.a = { version: "v2", hookSeconds: 60 };
        const first = a.up().then(() => "finished", (e: Error) => e.message);
        const runningV2 = () => onHost(tb, h1, "docker ps --filter label=service=locked --filter status=running --format '{{.Names}}'").includes("locked-web-v2");
        await waitFor("the new container to be healthy and its hook to start", async () => (lockHeld() && runningV2() ? true : undefined), 60_000);
        await new Promise((r) => setTimeout(r, 3000));
        const signalled = Date.now();
        const pids = a.providerPids();
        assert.ok(pids.length > 0, "no provider process found");
        pids.forEach((pid) => process.kill(pid, "SIGTERM"));
        await waitFor("the lock to be released", async () => (lockHeld() ? undefined : true), 20_000);
        console.log(`      lock released ${((Date.now() - signalled) / 1000).toFixed(1)} s after SIGTERM`);
        assert.notEqual(await first, "finished");
        assert.equal((await get(`http://${h1}/version`)).body.trim(), "v1");
    });

    it("a holder killed outright (SIGKILL) blocks only until its lease expires; `lock status|release` show and clear it", async function () {
        wanted.a = { version: "v2", hookSeconds: 60 };
        const first = a.up().then(() => "finished", (e: Error) => e.message);
        await waitFor("the first deploy to hold the lock", async () => (lockHeld() ? true : undefined), 60_000);
        a.providerPids().forEach((pid) => process.kill(pid, "SIGKILL"));
        const killedAt = Date.now();
        assert.notEqual(await first, "finished");
        assert.ok(lockHeld(), "the killed holder's lock should still be there");

        // The CLI reads the same lock from a Kamal project with this app's settings.
        const project = fs.mkdtempSync(path.join(os.tmpdir(), "pk-lock-cli-"));
        fs.mkdirSync(path.join(project, "config"));
        fs.writeFileSync(path.join(project, "config/deploy.yml"), [
            "service: locked", `image: ${tb.appImage}`, `servers: [${h1}]`,
            `ssh: { user: ${tb.user}, keys: [${tb.keyPath}], known_hosts: ${tb.knownHosts} }`,
        ].join("\n"));
        const cli = (cmd: string) => spawnSync(process.execPath, [path.join(REPO, "dist/cli/main.js"), "lock", cmd], {
            cwd: project, encoding: "utf8", env: { ...process.env, VERSION: "v1" },
        });
        const status = cli("status");
        assert.equal(status.status, 0, status.stderr);
        assert.match(status.stdout, /Deploy lock on \S+:~\/\.kamal\/locks\/locked, held for \d+s\nLocked by: .*\nVersion: v2\nMessage: pulumi up of lock-a\/e2e/);
        assert.match(status.stdout, /Its lease expires in \d+s unless its deploy renews it/);

        // Without anyone releasing it, the next deploy succeeds once the lease ran out.
        await assert.rejects(b.up(), /Deploy lock found/);
        await waitFor("the lease to expire", async () => (Date.now() - killedAt > 62_000 ? true : undefined), 90_000);
        wanted.b = { version: "v2", hookSeconds: 0 };
        await b.up();
        assert.ok(b.output.join("").includes("breaking the expired deploy lock"));
        await b.destroy();

        // And by hand: a lock left behind is released by the CLI, then nothing is held.
        onHost(tb, h1, `mkdir -p ${LOCK}`);
        const release = cli("release");
        assert.equal(release.status, 0, release.stderr);
        assert.match(release.stdout, /Released the deploy lock/);
        assert.match(cli("status").stdout, /There is no deploy lock/);
    });
});
