/**
 * Issue: role-scoped post-app-boot hooks, proven on the test bed: real Pulumi
 * engine, SSH hosts running Docker, kamal-proxy, a registry, and a shared
 * database (test/app's /db routes) the migration writes to.
 */
import * as assert from "node:assert/strict";
import { get, onHost, requestLoop, testStack, TestStack, waitFor } from "./harness";
import { hookApp, Scenario, SharedDb, testbed } from "./fixture";

const tb = testbed();
const [h1, h2] = tb.hosts;
const versionUrls = [h1, h2].map((h) => `http://${h}/version`);

/** One stack and one fresh database per scenario; destroyed afterwards. */
function scenario(name: string, port: number) {
    const ctx = { scenario: { version: "v1" } as Scenario, stack: undefined as unknown as TestStack, db: undefined as unknown as SharedDb };
    before(async function () {
        ctx.db = new SharedDb(tb, port);
        ctx.stack = await testStack(name, hookApp(tb, ctx.db, () => ctx.scenario));
    });
    after(async function () {
        if (process.env.E2E_KEEP) return;
        await ctx.stack?.destroy().catch((e) => console.error(`destroy ${name}: ${e.message}`));
        ctx.db?.remove();
    });
    return ctx;
}

const proxyState = (host: string) => onHost(tb, host, "docker exec kamal-proxy kamal-proxy list");
const containerNames = (host: string, all = false) =>
    onHost(tb, host, `docker ps ${all ? "--all" : ""} --filter label=service=shop --format '{{.Names}}'`).split("\n").filter(Boolean);

describe("role hooks: boot order", function () {
    const ctx = scenario("hooks-order", 5441);

    it("web's hook starts while the worker is still booting when roles boot independently", async function () {
        ctx.scenario = {
            version: "v1",
            webHook: "/app/bin/migrate",
            workerBootAfter: [],
            // A worker that takes ~8 s to pass its Docker health check.
            workerCmd: ["sh", "-c", "sleep 8; touch /tmp/ready; exec /app/bin/worker"],
            workerOptions: { "health-cmd": "test -e /tmp/ready", "health-interval": "1s", "health-start-period": "30s" },
        };
        const { outputs } = await ctx.stack.up();
        const hookStarted = outputs.hookRuns[0][0].startedAt as number;
        const workerHealthy = Math.min(...(outputs.workerHealthyAt as number[]));
        assert.ok(hookStarted < workerHealthy, `hook started ${hookStarted}, worker healthy ${workerHealthy}: the hook waited for the worker`);
        assert.equal(await ctx.db.schema(), "1");
    });

    it("under the default order the worker boots only after web's hook succeeded", async function () {
        ctx.scenario = { version: "v2", webHook: "sleep 2 && /app/bin/migrate" };
        const { outputs } = await ctx.stack.up();
        const run = outputs.hookRuns[0][0];
        const hookEnded = run.startedAt + run.durationMs;
        for (const host of [h1, h2]) {
            const created = Date.parse(onHost(tb, host, "docker inspect --format '{{.Created}}' shop-worker-v2").trim());
            assert.ok(created >= hookEnded - 1000, `${host}: worker v2 created at ${created}, before web's hook ended at ${hookEnded}`);
        }
        assert.equal(await ctx.db.schema(), "2");
    });
});

describe("role hooks: zero failed requests", function () {
    describe("before-traffic, expand-style change", function () {
        const ctx = scenario("hooks-before", 5442);

        it("deploys v1 -> v2 (needs schema 2) with zero failed requests; the hook ran inside the new container", async function () {
            ctx.scenario = { version: "v1" };
            await ctx.stack.up();
            ctx.scenario = { version: "v2", webHook: "/app/bin/migrate" };
            const load = requestLoop(versionUrls);
            await ctx.stack.up();
            const report = await load.stop();
            assert.equal(report.failed, 0, report.failures.slice(0, 5).join("\n"));
            assert.ok(report.versions.v2 > 0 && report.versions.v1 > 0, JSON.stringify(report.versions));
            const marker = onHost(tb, h1, "docker exec shop-web-v2 cat /tmp/hook-marker");
            assert.match(marker, new RegExp(`v2 KAMAL_ROLE=web KAMAL_HOST=${h1}`));
            // runOn primary: once, on the first host only.
            assert.equal(onHost(tb, h2, "docker exec shop-web-v2 cat /tmp/hook-marker 2>/dev/null || echo none").trim(), "none");
            assert.equal((await ctx.db.migrations()).length, 1);
        });

        it("preview names the hook and shows a change to it; the changed hook re-runs in the current container", async function () {
            ctx.scenario = { version: "v2", webHook: "/app/bin/migrate 2 && echo rerun" };
            const preview = await ctx.stack.preview();
            // Pulumi's diff view: the hook resource, named after its role, replaced because its command changed.
            assert.match(preview.stdout, /\+-pulumi-nodejs:dynamic\/kamal:RoleHook: \(replace\)\n(\s+\[id=\S+\]\n)?\s+\[urn=\S+::shop-web-post-app-boot\]/);
            assert.match(preview.stdout, /~ command: "\/app\/bin\/migrate" => "\/app\/bin\/migrate 2 && echo rerun"/);
            assert.equal(preview.changeSummary.replace, 1, JSON.stringify(preview.changeSummary));
            // ...and where it will run, in the clear.
            assert.match(preview.stdout, new RegExp(`runsOn\\s*: \\[\\s*\\[0\\]: "${h1.replace(/\./g, "\\.")}"`));
            const before = containerNames(h1);
            await ctx.stack.up();
            assert.deepEqual(containerNames(h1), before, "the containers did not change");
            const lines = await ctx.db.migrations();
            assert.equal(lines.length, 2);
            assert.equal(lines[0].split(" ")[1], lines[1].split(" ")[1], "both runs in the same container");
        });
    });

    describe("paused, breaking change", function () {
        const ctx = scenario("hooks-paused", 5443);

        it("holds requests while switching and migrating: zero failed requests, proxy resumed", async function () {
            // Old code (v1) fails on schema > 1; new code (v2) fails on schema < 2.
            ctx.scenario = { version: "v1", env: { LEGACY_MAX_SCHEMA: "1" } };
            await ctx.stack.up();
            ctx.scenario = { version: "v2", env: { LEGACY_MAX_SCHEMA: "1" }, webHook: { command: "sleep 1 && /app/bin/migrate", when: "paused" } };
            const load = requestLoop(versionUrls);
            await ctx.stack.up();
            const report = await load.stop();
            assert.equal(report.failed, 0, report.failures.slice(0, 5).join("\n"));
            assert.ok(report.versions.v2 > 0, JSON.stringify(report.versions));
            for (const host of [h1, h2]) assert.doesNotMatch(proxyState(host), /paused/i);
            assert.match(onHost(tb, h1, "docker exec shop-web-v2 cat /tmp/hook-marker"), /v2 KAMAL_ROLE=web/);
        });
    });
});

describe("role hooks: failure", function () {
    const ctx = scenario("hooks-fail", 5444);

    it("a failing hook fails `up` with its output; traffic stays on v1 with zero failed requests; the worker is not booted", async function () {
        ctx.scenario = { version: "v1" };
        await ctx.stack.up();
        ctx.scenario = { version: "v2", webHook: "/app/bin/fail" };
        const load = requestLoop(versionUrls);
        await assert.rejects(ctx.stack.up(), (e: Error) => {
            assert.match(e.message, /post-app-boot hook of role "web" failed on .*exit 3/);
            assert.match(e.message, /migration failed: simulated/);
            return true;
        });
        const report = await load.stop();
        assert.equal(report.failed, 0, report.failures.slice(0, 5).join("\n"));
        assert.deepEqual(Object.keys(report.versions), ["v1"]);
        for (const host of [h1, h2]) assert.ok(!containerNames(host, true).includes("shop-worker-v2"), `worker v2 exists on ${host}`);
        // The container the hook failed in is stopped; the other host's new container never took traffic (above).
        assert.ok(!containerNames(h1).includes("shop-web-v2"), `web v2 still running on ${h1}`);
    });

    it("after fixing the hook, `up` converges: v2 serves, one container per role and host", async function () {
        ctx.scenario = { version: "v2", webHook: "/app/bin/migrate" };
        await ctx.stack.up();
        for (const host of [h1, h2]) {
            assert.equal((await get(`http://${host}/version`)).body.trim(), "v2");
            const all = containerNames(host, true);
            assert.equal(all.filter((n) => n === "shop-web-v2").length, 1);
            assert.equal(all.filter((n) => n === "shop-worker-v2").length, 1);
        }
    });
});

describe("role hooks: runOn", function () {
    const ctx = scenario("hooks-runon", 5445);

    it("primary runs exactly once over two hosts; all runs once per host", async function () {
        ctx.scenario = { version: "v1", webHook: "/app/bin/migrate" };
        await ctx.stack.up();
        assert.equal((await ctx.db.migrations()).filter((l) => / v1 /.test(l)).length, 1);
        ctx.scenario = { version: "v3", webHook: { command: "/app/bin/migrate", runOn: "all" } };
        await ctx.stack.up();
        const v3 = (await ctx.db.migrations()).filter((l) => / v3 /.test(l));
        assert.equal(v3.length, 2, v3.join("\n"));
        assert.deepEqual(v3.map((l) => /KAMAL_HOST=(\S+)/.exec(l)![1]).sort(), [h1, h2].sort());
    });
});

describe("role hooks: timeouts and interrupts during a paused switch", function () {
    const ctx = scenario("hooks-interrupt", 5446);
    const paused = (timeout: number) => ({ version: "v2", webHook: { command: "/app/bin/slow 40", when: "paused", timeout } }) as Scenario;

    before(async function () {
        ctx.scenario = { version: "v1" };
        await ctx.stack.up();
    });

    const assertServingV1 = async () => {
        for (const host of [h1, h2]) {
            assert.doesNotMatch(proxyState(host), /paused/i, `${host} is still paused`);
            assert.equal((await get(`http://${host}/version`)).body.trim(), "v1");
        }
    };

    it("a hook timeout fails `up`, rolls the switch back and resumes: zero failed requests", async function () {
        ctx.scenario = paused(3);
        const load = requestLoop(versionUrls);
        await assert.rejects(ctx.stack.up(), /timed out after 3s/);
        const report = await load.stop();
        assert.equal(report.failed, 0, report.failures.slice(0, 5).join("\n"));
        assert.deepEqual(Object.keys(report.versions), ["v1"]);
        await assertServingV1();
    });

    it("an interrupted `pulumi up` (SIGINT, as Ctrl-C) lets the running hook finish, then resumes: never left paused", async function () {
        ctx.scenario = { version: "v2", webHook: { command: "/app/bin/slow 5 && /app/bin/migrate", when: "paused", timeout: 60 } };
        const interrupt = new AbortController();
        const load = requestLoop(versionUrls);
        const up = ctx.stack.up(interrupt.signal).then(() => "finished", (e: Error) => e.message);
        await waitFor("the proxy to pause", async () => (/paused/i.test(proxyState(h1)) ? true : undefined), 60_000);
        interrupt.abort();
        await up;
        const report = await load.stop();
        assert.equal(report.failed, 0, report.failures.slice(0, 5).join("\n"));
        for (const host of [h1, h2]) {
            assert.doesNotMatch(proxyState(host), /paused/i, `${host} is still paused`);
            assert.equal((await get(`http://${host}/version`)).status, 200);
        }
        // Back to v1 for the next cases, whatever the interrupted run left.
        ctx.scenario = { version: "v1" };
        await ctx.stack.up();
    });

    it("interrupting the deploying process (SIGTERM) mid-hook rolls back and resumes at once", async function () {
        ctx.scenario = paused(60);
        const up = ctx.stack.up().then(() => "finished", (e: Error) => e.message);
        await waitFor("the proxy to pause", async () => (/paused/i.test(proxyState(h1)) ? true : undefined), 60_000);
        const pids = ctx.stack.providerPids();
        assert.ok(pids.length > 0, "no provider process found");
        pids.forEach((pid) => process.kill(pid, "SIGTERM"));
        assert.notEqual(await up, "finished");
        await assertServingV1();
    });

    it("a deploy started right after one killed outright (SIGKILL) mid-hook disarms the dead deploy's watchdogs before they can fire under it", async function () {
        // The dead deploy's watchdogs would fire 150 s later (timeout + 30): routing back to v1 in the middle of the next deploy.
        ctx.scenario = paused(120);
        const up = ctx.stack.up().then(() => "finished", (e: Error) => e.message);
        await waitFor("the hook to run", async () => (/slow 40/.test(onHost(tb, h1, "docker top shop-web-v2 2>/dev/null || true")) ? true : undefined), 120_000);
        ctx.stack.providerPids().forEach((pid) => process.kill(pid, "SIGKILL"));
        assert.notEqual(await up, "finished");
        const armed = (host: string) => onHost(tb, host, "docker exec kamal-proxy sh -c 'ls /tmp' | grep '^kamal-watchdog-shop-web\\.' | grep -v 'fired$' || true").trim();
        for (const host of [h1, h2]) assert.notEqual(armed(host), "", `${host}: the killed deploy armed no watchdog`);
        // As `npx pulumi-kamal lock release` does: the next deploy need not wait out the lease.
        onHost(tb, h1, "rm -rf .kamal/locks/shop");
        ctx.scenario = { version: "v2", webHook: { command: "/app/bin/migrate", when: "paused", timeout: 60 } };
        const load = requestLoop(versionUrls);
        const { stdout } = await ctx.stack.up();
        const report = await load.stop();
        assert.equal(report.failed, 0, report.failures.slice(0, 5).join("\n"));
        assert.match(stdout, /disarmed 1 watchdog\(s\) left by an interrupted deploy of shop-web/);
        for (const host of [h1, h2]) {
            assert.equal(armed(host), "", `${host}: a dead deploy's watchdog is still armed`);
            assert.doesNotMatch(proxyState(host), /paused/i, `${host} is still paused`);
            assert.equal((await get(`http://${host}/version`)).body.trim(), "v2");
        }
        ctx.scenario = { version: "v1" };
        await ctx.stack.up();
        await assertServingV1();
    });

    it("a deploying process killed outright (SIGKILL) is covered by the host-side watchdog", async function () {
        ctx.scenario = paused(10);
        const up = ctx.stack.up().then(() => "finished", (e: Error) => e.message);
        await waitFor("the proxy to pause", async () => (/paused/i.test(proxyState(h1)) ? true : undefined), 60_000);
        ctx.stack.providerPids().forEach((pid) => process.kill(pid, "SIGKILL"));
        assert.notEqual(await up, "finished");
        // The watchdog fires when the running step's lease runs out: here the hook's timeout + 30 s.
        await waitFor("the watchdog to resume traffic", async () => ([h1, h2].every((h) => !/paused/i.test(proxyState(h))) ? true : undefined), 90_000);
        await assertServingV1();
        // The killed deploy's lock outlives it until its lease ends; release it as `pulumi-kamal lock release` does, so the destroy below runs.
        assert.match(onHost(tb, h1, "test -d .kamal/locks/shop && echo held || echo free"), /held/);
        onHost(tb, h1, "rm -rf .kamal/locks/shop");
        // Destroy removes everything the stack started, the killed deploy's unrecorded new containers included.
        await ctx.stack.destroy();
        for (const h of [h1, h2]) assert.deepEqual(containerNames(h, true), [], `${h} still has the app's containers after destroy`);
    });
});
