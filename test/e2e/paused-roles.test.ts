/**
 * Issue 11 §3: a breaking change across roles. web's `paused` hook holds web,
 * a second proxied role `api` (its own proxy host name) and the worker, on
 * both hosts: real Pulumi engine, SSH hosts, kamal-proxy, registry, and a
 * shared database the migration writes to.
 */
import * as assert from "node:assert/strict";
import { get, onHost, requestLoop, testStack, TestStack, waitFor } from "./harness";
import { SharedDb, testbed } from "./fixture";
import { API_HOST, containerTimes, lockLeaseOver, perRoleHost, RolesScenario, roleUrls, threeRoleApp } from "./fixture-roles";

const tb = testbed();
const hosts = tb.hosts.slice(0, 2);
const proxyState = (host: string) => onHost(tb, host, "docker exec kamal-proxy kamal-proxy list");
const running = (host: string) => onHost(tb, host, "docker ps --filter label=service=shop --format '{{.Names}}'").split("\n").filter(Boolean);

function stackFor(name: string, port: number) {
    const ctx = { scenario: { version: "v1" } as RolesScenario, stack: undefined as unknown as TestStack, db: undefined as unknown as SharedDb };
    before(async function () {
        ctx.db = new SharedDb(tb, port);
        ctx.stack = await testStack(name, threeRoleApp(tb, ctx.db, () => ctx.scenario));
        await ctx.stack.up();
    });
    after(async function () {
        if (process.env.E2E_KEEP) return;
        await ctx.stack?.destroy().catch((e) => console.error(`destroy ${name}: ${e.message}`));
        ctx.db?.remove();
    });
    return ctx;
}

/** Every role answers `version` on every host, through kamal-proxy, and nothing is paused. */
async function assertServing(version: string) {
    for (const host of hosts) {
        assert.doesNotMatch(proxyState(host), /paused/i, `${host} is still paused`);
        assert.equal((await get(`http://${host}/version`)).body.trim(), version, `web@${host}`);
        assert.equal((await get(`http://${host}/version`, 5000, API_HOST)).body.trim(), version, `api@${host}`);
    }
}

describe("service-wide paused hook: web + api + worker, breaking change", function () {
    const ctx = stackFor("paused-roles", 5447);

    it("0 failed requests on every role and host; the old worker stops before the hook, the new one first starts after it", async () => {
        await assertServing("v1");
        ctx.scenario = { version: "v2", hook: "sleep 1 && /app/bin/migrate", holds: ["web", "api", "worker"] };
        // preview names the held roles on the hook resource.
        const preview = await ctx.stack.preview();
        assert.match(preview.stdout, /holds\s*: \[\s*\[0\]: "api"\s*\[1\]: "worker"\s*\]/);
        const load = requestLoop(roleUrls(tb));
        const { outputs } = await ctx.stack.up();
        const rows = perRoleHost(tb, await load.stop());
        console.log(`      failed/served per role and host: ${JSON.stringify(rows)}`);
        assert.deepEqual(Object.keys(rows).sort(), hosts.flatMap((h) => [`api@${h}`, `web@${h}`]).sort());
        for (const [where, row] of Object.entries(rows)) {
            assert.equal(row.failed, 0, `${where}: ${row.failed} failed requests`);
            assert.ok(row.versions.v2 > 0, `${where} never served v2: ${JSON.stringify(row.versions)}`);
        }
        await assertServing("v2");
        assert.equal(await ctx.db.schema(), "2");
        assert.equal((await ctx.db.migrations()).length, 1, "the hook ran once");
        const [run] = outputs.hookRuns[0];
        const hookEnd = run.startedAt + run.durationMs;
        for (const host of hosts) {
            const old = containerTimes(tb, host, "shop-worker-v1");
            assert.ok(!old.running && old.finishedAt <= run.startedAt, `${host}: worker v1 stopped at ${old.finishedAt}, the hook started at ${run.startedAt}`);
            const now = containerTimes(tb, host, "shop-worker-v2");
            assert.ok(now.running && now.startedAt >= hookEnd, `${host}: worker v2 started at ${now.startedAt}, the hook ended at ${hookEnd}`);
            // Started once, after the hook: it never ran its new code on the old schema, not even for a health check.
            assert.equal(onHost(tb, host, "docker logs shop-worker-v2 2>&1 | grep -c 'worker v2 started'").trim(), "1", `${host}: worker v2 ran before the hook`);
        }
    });

    it("a change to the held worker only: the hook does not run again, the worker's switch starts its new container, web and api are untouched", async () => {
        const before = hosts.map((h) => running(h).sort());
        ctx.scenario = { version: "v2", hook: "sleep 1 && /app/bin/migrate", holds: ["web", "api", "worker"], workerEnv: { QUEUE: "mail" } };
        const { stdout } = await ctx.stack.up();
        assert.doesNotMatch(stdout, /paused shop-web/, "the hook paused traffic again");
        assert.equal((await ctx.db.migrations()).length, 1, "the hook ran again");
        for (const [i, host] of hosts.entries()) {
            const workers = onHost(tb, host, "docker ps --filter label=role=worker --format '{{.ID}} {{.Names}}'").trim().split("\n");
            assert.equal(workers.length, 1, `${host}: one worker runs: ${workers.join(", ")}`);
            const [id] = workers[0].split(" ");
            assert.match(onHost(tb, host, `docker inspect --format '{{join .Config.Env " "}}' ${id}`), /QUEUE=mail/, `${host}: the new worker does not run`);
            assert.deepEqual(running(host).filter((n) => !n.startsWith("shop-worker")).sort(), before[i].filter((n) => !n.startsWith("shop-worker")), `${host}: web or api changed`);
        }
        await assertServing("v2");
    });
});

describe("service-wide paused hook: interrupted mid-hook", function () {
    const ctx = stackFor("paused-roles-int", 5448);

    it("SIGTERM to the provider mid-hook: every held route back on v1 and resumed, old workers running again, 0 failed requests", async () => {
        ctx.scenario = { version: "v2", hook: "/app/bin/slow 30 && /app/bin/migrate", holds: ["web", "api", "worker"] };
        const load = requestLoop(roleUrls(tb));
        const up = ctx.stack.up().then(() => "finished", (e: Error) => e.message);
        await waitFor("the hook to run", async () => (/slow 30/.test(onHost(tb, hosts[0], "docker top shop-web-v2")) ? true : undefined), 120_000);
        const pids = ctx.stack.providerPids();
        assert.ok(pids.length > 0, "no provider process found");
        const signalled = Date.now();
        pids.forEach((pid) => process.kill(pid, "SIGTERM"));
        assert.notEqual(await up, "finished");
        const rows = perRoleHost(tb, await load.stop());
        console.log(`      up settled ${Date.now() - signalled} ms after SIGTERM; failed/served per role and host: ${JSON.stringify(rows)}`);
        for (const [where, row] of Object.entries(rows)) assert.equal(row.failed, 0, `${where}: ${row.failed} failed requests`);
        await assertServing("v1");
        assert.notEqual(await ctx.db.schema(), "2", "the migration never ran");
        for (const host of hosts) {
            const names = running(host);
            assert.ok(names.includes("shop-worker-v1"), `${host}: worker v1 is not running again: ${names.join(", ")}`);
            assert.ok(!names.includes("shop-worker-v2"), `${host}: worker v2 runs before any migration`);
        }
    });

    it("a deploying process killed outright (SIGKILL) mid-hook: the watchdogs put every held route back on v1 and resume it", async () => {
        ctx.scenario = { version: "v2", hook: "/app/bin/slow 300", timeout: 10, holds: ["web", "api", "worker"] };
        const up = ctx.stack.up().then(() => "finished", (e: Error) => e.message);
        await waitFor("the hook to run", async () => (/slow 300/.test(onHost(tb, hosts[0], "docker top shop-web-v2")) ? true : undefined), 120_000);
        const killed = Date.now();
        ctx.stack.providerPids().forEach((pid) => process.kill(pid, "SIGKILL"));
        assert.notEqual(await up, "finished");
        // The hook step's lease: its timeout (10 s) + 30 s.
        await waitFor("every held route to resume", async () => (hosts.every((h) => !/paused/i.test(proxyState(h))) ? true : undefined), 90_000);
        console.log(`      every route resumed ${Date.now() - killed} ms after SIGKILL`);
        await assertServing("v1");
        await lockLeaseOver(tb, hosts[0]);
    });

    it("the next `up` converges (a hook left running by the killed deploy is stopped first): v2 everywhere, migrated once", async () => {
        ctx.scenario = { version: "v2", hook: "/app/bin/migrate", holds: ["web", "api", "worker"] };
        const load = requestLoop(roleUrls(tb));
        const { stdout } = await ctx.stack.up();
        // The killed deploy's `slow 300` still ran in web's new container: stopped before the migration.
        assert.match(stdout, /a hook from an earlier deploy still runs \([0-9a-f]{12} KAMAL_HOOK_ID=[0-9a-f-]{36}\): sending TERM/);
        const rows = perRoleHost(tb, await load.stop());
        for (const [where, row] of Object.entries(rows)) assert.equal(row.failed, 0, `${where}: ${row.failed} failed requests`);
        await assertServing("v2");
        assert.equal((await ctx.db.migrations()).length, 1);
        assert.doesNotMatch(onHost(tb, hosts[0], "docker top shop-web-v2"), /slow \d+/, "no hook left from the interrupted deploys");
    });
});
