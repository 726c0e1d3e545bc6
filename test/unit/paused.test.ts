/**
 * The service-wide `paused` hook, with fake hosts: the order of pauses,
 * switches, the hook, resumes and stops across roles and hosts; the hold
 * limit and the watchdog's lease; what a failure restores first.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as docker from "../../provider/commands/docker";
import * as hooks from "../../provider/commands/hook";
import * as proxy from "../../provider/commands/proxy";
import { HookFailedError } from "../../provider/effects/hook";
import { HeldRole, HookTarget, RoleHookInputs, RoleHookOutputs, roleHookProvider } from "../../provider/resources/role-hook";
import { holdLimit } from "../../provider/effects/paused";
import { Call, captureStderr, connection, FakeHost, inspectOutput, installHosts, psLine } from "./fakes";

const PROXY_CLI = ["docker", "exec", "kamal-proxy", "kamal-proxy"];
const hex = (c: string) => c.repeat(64);
const route = {
    service: "app-web", hosts: ["app.example.com"], tls: false, deployTimeout: 30, drainTimeout: 30,
    healthcheck: { path: "/up", interval: 1, timeout: 5 }, responseTimeout: 30,
};
const apiRoute = { ...route, service: "app-api", hosts: ["api.example.com"], drainTimeout: 10 };
const target = (host: string, id: string, name = "app-web-v2"): HookTarget => ({ connection: connection(host), containerId: id, containerName: name, healthyAt: Date.now() });
const web = { h1: { id: hex("1"), prev: hex("5") }, h2: { id: hex("2"), prev: hex("6") } };
const api = { h1: { id: hex("3"), prev: hex("7") }, h2: { id: hex("4"), prev: hex("8") } };
const worker = { id: hex("9"), prev: hex("0") };

const inputs = (over: Partial<RoleHookInputs> = {}): RoleHookInputs => ({
    service: "app", role: "web", version: "v2", command: "bin/rails db:migrate", when: "paused", runOn: "primary", timeout: 120, env: {},
    targets: [target("h1", web.h1.id), target("h2", web.h2.id)], runsOn: ["h1"],
    health: { kind: "proxy", target: route, appPort: 3000 }, proxy: { ...route, appPort: 3000 },
    ...over,
});
const heldApi: HeldRole = {
    role: "api", targets: [target("h1", api.h1.id, "app-api-v2"), target("h2", api.h2.id, "app-api-v2")],
    health: { kind: "proxy", target: apiRoute, appPort: 3000 }, proxy: { ...apiRoute, appPort: 3000 },
};
const heldWorker: HeldRole = {
    role: "worker", targets: [target("h1", worker.id, "app-worker-v2")], health: { kind: "docker", readinessDelay: 0, deployTimeout: 5 }, stopTimeout: 7,
};

const isHook = (a: string[]) => a[1] === "exec" && a.includes("bin/rails db:migrate");
const isFind = (a: string[]) => a[0] === "sh" && a.at(-1)!.includes("KAMAL_HOOK_ID=");
const isArm = (a: string[]) => a[0] === "sh" && a.join(" ").includes("docker exec -d kamal-proxy") && a.join(" ").includes("kamal-watchdog-");
const isStale = (a: string[]) => a[1] === "exec" && a[3] === "sh" && a.at(-1)!.startsWith("/tmp/kamal-watchdog-") && a.at(-1)!.endsWith(".");
const isDisarm = (a: string[]) => a[1] === "exec" && a[3] === "rm" && a.at(-1)!.includes("kamal-watchdog-");
const lease = (a: string[]) => Number(/kamal-watchdog-app-[a-z]+\.[0-9a-f-]{36} (\d+)/.exec(a.join(" "))![1]);

/** One word per step, for asserting order across hosts and roles. */
function label(c: Call): string {
    const a = c.argv;
    const id = (s: string) => ({ [web.h1.id]: "web1", [web.h2.id]: "web2", [api.h1.id]: "api1", [api.h2.id]: "api2", [worker.id]: "worker" }[s]
        ?? ({ [web.h1.prev]: "oldweb1", [web.h2.prev]: "oldweb2", [api.h1.prev]: "oldapi1", [api.h2.prev]: "oldapi2", [worker.prev]: "oldworker" }[s] ?? s));
    const short = (t: string) => id([web.h1, web.h2, api.h1, api.h2].flatMap((x) => [x.id, x.prev]).find((x) => x.startsWith(t.split(":")[0])) ?? t);
    if (a[1] === "container" && a[2] === "inspect") return `${c.host} inspect`;
    if (a[1] === "ps") return `${c.host} list ${a[7].slice("label=role=".length)}`;
    if (isFind(a)) return `${c.host} find`;
    if (isArm(a)) return `${c.host} arm ${lease(a)}${a.join(" ").includes(" deploy ") ? " rollback" : ""}`;
    if (isDisarm(a)) return `${c.host} disarm`;
    if (isStale(a)) return `${c.host} disarm stale`;
    if (isHook(a)) return `${c.host} hook`;
    if (a[1] === "stop" || a[1] === "start") return `${c.host} ${a[1]} ${id(a.at(-1)!)}`;
    if (a[4] === "deploy") return `${c.host} deploy ${a[5]} ${short(a[a.indexOf("--target") + 1])}`;
    if (a[4] === "pause" || a[4] === "resume") return `${c.host} ${a[4]} ${a[5]}`;
    if (a[4] === "list") return `${c.host} routes`;
    return `${c.host} ${a.join(" ")}`;
}

/** kamal-proxy list's table: one route per proxied role, to its target's short ID. */
const routeTable = (routes: Record<string, string>, state = "running") =>
    ["Service  Host  Path  Target  State  TLS", ...Object.entries(routes).map(([role, id]) => `app-${role}  x.example.com  /  ${id.slice(0, 12)}:3000  ${state}  no`)].join("\n");

/**
 * A host where every given container runs; `ps` lists, per role, the new
 * container and (when given) the previous one, which kamal-proxy routes the
 * role to unless `routes` says otherwise.
 */
function host(name: string, log: Call[], roles: Record<string, { id: string; prev?: string }>, routes?: Record<string, string>): FakeHost {
    const routed = routes ?? Object.fromEntries(Object.entries(roles).filter(([r, c]) => c.prev && r !== "worker").map(([r, c]) => [r, c.prev!]));
    const h = new FakeHost(name, log)
        .on([...PROXY_CLI, "list"], { stdout: routeTable(routed) })
        .on((a) => a[1] === "container" && a[2] === "inspect", (a) => ({ stdout: inspectOutput(a.at(-1)!, "x", { running: true }) }))
        .on(isFind, {})
        .on(isArm, {})
        .on(isDisarm, {})
        .on(isStale, {})
        .on(["docker", "stop"], {})
        .on(["docker", "start"], {})
        .on([...PROXY_CLI, "pause"], {})
        .on([...PROXY_CLI, "resume"], {})
        .on([...PROXY_CLI, "deploy"], {})
        .on(isHook, { stdout: "migrated\n" });
    return h.on(["docker", "ps"], (a) => {
        const r = roles[a[7].slice("label=role=".length)];
        return { stdout: r ? [psLine(r.id, "new", "running", "2024-01-02"), ...(r.prev ? [psLine(r.prev, "old", "running", "2024-01-01")] : [])].join("\n") : "" };
    });
}

let stderr: ReturnType<typeof captureStderr>;
let uninstall: (() => void) | undefined;
const use = (...hosts: FakeHost[]) => { uninstall = installHosts(hosts); };

const at = (log: string[], re: RegExp) => log.map((l, i) => (re.test(l) ? i : -1)).filter((i) => i >= 0);
const before = (log: string[], a: RegExp, b: RegExp) => {
    const [as, bs] = [at(log, a), at(log, b)];
    assert.ok(as.length && bs.length, `no ${a} or no ${b} in\n${log.join("\n")}`);
    assert.ok(Math.max(...as) < Math.min(...bs), `every ${a} before any ${b}:\n${log.join("\n")}`);
};

describe("paused hook, service-wide", () => {
    beforeEach(() => { stderr = captureStderr(); });
    afterEach(() => { stderr.restore(); uninstall?.(); });

    it("one role: pauses every host, switches all, runs the hook once, resumes all; the watchdog's lease is renewed per step", async () => {
        const log: Call[] = [];
        use(host("h1", log, { web: web.h1 }), host("h2", log, { web: web.h2 }));
        const { outs } = await roleHookProvider.create(inputs());
        const L = log.map(label);
        before(L, /pause app-web/, /deploy app-web web/);
        before(L, /deploy app-web web/, /hook/);
        before(L, /hook/, /resume/);
        assert.equal(at(L, /hook/).length, 1);
        assert.deepEqual((outs as RoleHookOutputs).runs.map((r) => r.host), ["h1"]);
        // Requests may be held for the whole window: both drains and switches, the hook, a margin.
        assert.equal(holdLimit(inputs()), 2 * (30 + 30) + 120 + 30);
        assert.deepEqual(log.find((c) => c.argv[4] === "pause")!.argv, proxy.pause("app-web", 30, 270));
        // h1's watchdog: pause, switch, hook (each its own bound + 30 s), then resume-only once the hook succeeded.
        assert.deepEqual(L.filter((l) => l.startsWith("h1 arm")), ["h1 arm 60 rollback", "h1 arm 60 rollback", "h1 arm 150 rollback", "h1 arm 30"]);
        for (const h of ["h1", "h2"]) assert.equal(L.filter((l) => l === `${h} disarm`).length, 4, "every watchdog armed is disarmed");
        assert.ok(L.lastIndexOf("h1 disarm") > L.indexOf("h1 resume app-web"), "disarmed only after the resume");
    });

    it("holds every role named: api paused and switched on every host with web, the worker's old and new containers stopped, the hook once, then resume and start", async () => {
        const log: Call[] = [];
        use(host("h1", log, { web: web.h1, api: api.h1, worker }), host("h2", log, { web: web.h2, api: api.h2 }));
        const i = inputs({ held: [heldApi, heldWorker], holds: ["api", "worker"] });
        await roleHookProvider.create(i);
        const L = log.map(label);
        for (const h of ["h1", "h2"]) for (const s of ["app-web", "app-api"]) assert.equal(at(L, new RegExp(`^${h} pause ${s}$`)).length, 1, `${h} ${s} paused`);
        before(L, /pause/, /deploy app-(web|api) (web|api)\d/);
        before(L, /h1 stop (oldworker|worker)/, /hook/);
        before(L, /deploy app-(web|api) (web|api)\d/, /hook/);
        before(L, /hook/, /resume/);
        before(L, /resume/, /h1 start worker/);
        assert.deepEqual(log.filter((c) => c.argv[1] === "stop").map((c) => c.argv), [docker.stop(worker.prev, 7), docker.stop(worker.id, 7)]);
        assert.deepEqual(log.filter((c) => c.argv[4] === "deploy" && c.argv[5] === "app-api").map((c) => c.host), ["h1", "h2"]);
        assert.equal(at(L, /hook/).length, 1);
        assert.equal(at(L, /resume/).length, 4);
        // The window counts every held route, the hook, the worker's stop.
        assert.equal(holdLimit(i), 2 * 60 + 2 * 40 + 120 + 7 + 30);
        assert.deepEqual(log.find((c) => c.argv[4] === "pause" && c.argv[5] === "app-api")!.argv, proxy.pause("app-api", 10, holdLimit(i)));
    });

    it("a held worker's new container, only created, is first started after the hook (never before it, not by the health re-check)", async () => {
        const log: Call[] = [];
        const created = (a: string[]) => a[1] === "container" && a[2] === "inspect" && a.at(-1) === worker.id;
        let started = false;
        const h1 = host("h1", log, { web: web.h1, worker })
            .on(["docker", "start"], (a) => { if (a.at(-1) === worker.id) started = true; return {}; })
            .on(created, () => ({ stdout: inspectOutput(worker.id, "app-worker-v2", started ? { running: true } : { running: false, status: "created" }) }));
        use(h1);
        await roleHookProvider.create(inputs({ targets: [target("h1", web.h1.id)], held: [heldWorker], holds: ["worker"] }));
        const L = log.map(label);
        assert.deepEqual(at(L, /start worker/).length, 1, L.join("\n"));
        before(L, /hook/, /start worker/);
    });

    it("on hook failure: every held route goes back and resumes first; then old workers start and new containers stop", async () => {
        const log: Call[] = [];
        use(host("h1", log, { web: web.h1, api: api.h1, worker }).on(isHook, { code: 1, stdout: "boom\n" }), host("h2", log, { web: web.h2, api: api.h2 }));
        await assert.rejects(roleHookProvider.create(inputs({ held: [heldApi, heldWorker] })), HookFailedError);
        const L = log.map(label).slice(log.findIndex((c) => isHook(c.argv)));
        assert.deepEqual(at(L, /deploy app-(web|api) old/).map((i) => L[i]).sort(), [
            "h1 deploy app-api oldapi1", "h1 deploy app-web oldweb1", "h2 deploy app-api oldapi2", "h2 deploy app-web oldweb2",
        ]);
        before(L, /deploy app-(web|api) old/, /resume/);
        before(L, /resume/, /stop|start/);
        assert.deepEqual(at(L, /stop|start/).map((i) => L[i]).sort(), ["h1 start oldworker", "h1 stop api1", "h1 stop web1", "h2 stop api2", "h2 stop web2"]);
        assert.equal(at(L, /start worker/).length, 0, "the new worker waits for a successful hook");
    });

    it("a host added to a running role is neither paused nor switched by the hook: its traffic switch routes it after the hook", async () => {
        const log: Call[] = [];
        use(host("h1", log, { web: web.h1 }), host("h2", log, { web: { id: web.h2.id } }));
        await roleHookProvider.create(inputs());
        const L = log.map(label);
        assert.deepEqual(L.filter((l) => l.startsWith("h2")), ["h2 inspect", "h2 routes", "h2 disarm stale"]);
        before(L, /h1 deploy app-web web1/, /hook/);
    });

    it("what a failure restores is what kamal-proxy routed to, not the newest running container of the role", async () => {
        const log: Call[] = [];
        // `docker ps` lists old web1 as the role's previous container, but kamal-proxy routes h1 to another one (e.g. a rollback).
        const rolledBack = hex("c");
        use(host("h1", log, { web: web.h1 }, { web: rolledBack }).on(isHook, { code: 1 }));
        await assert.rejects(roleHookProvider.create(inputs({ targets: [target("h1", web.h1.id)] })), HookFailedError);
        const L = log.map(label);
        assert.ok(L.includes(`h1 deploy app-web ${rolledBack.slice(0, 12)}:3000`), L.join("\n"));
        const watchdog = log.find((c) => isArm(c.argv))!.argv.join(" ");
        assert.ok(watchdog.includes(`${rolledBack.slice(0, 12)}:3000`), `the watchdog would restore another container: ${watchdog}`);
        assert.ok(!L.some((l) => /oldweb1/.test(l)), `routed to a container kamal-proxy did not serve: ${L.join(", ")}`);
    });

    it("a role container running on a host kamal-proxy does not route (route removed by hand) is not paused, switched or touched by a failure", async () => {
        const log: Call[] = [];
        use(host("h1", log, { web: web.h1 }).on(isHook, { code: 1 }), host("h2", log, { web: web.h2 }, {}));
        await assert.rejects(roleHookProvider.create(inputs()), HookFailedError);
        const L = log.map(label).filter((l) => l.startsWith("h2"));
        assert.deepEqual(L, ["h2 inspect", "h2 routes", "h2 disarm stale"], "h2 was changed though it served nothing through kamal-proxy");
    });

    it("watchdogs a dead deploy left for the held routes are disarmed on every host before anything is paused", async () => {
        const log: Call[] = [];
        use(host("h1", log, { web: web.h1, api: api.h1 }), host("h2", log, { web: web.h2, api: api.h2 }));
        await roleHookProvider.create(inputs({ held: [heldApi] }));
        const stale = log.filter((c) => isStale(c.argv));
        assert.deepEqual(stale.map((c) => `${c.host} ${c.argv.at(-1)}`).sort(),
            ["h1 /tmp/kamal-watchdog-app-api.", "h1 /tmp/kamal-watchdog-app-web.", "h2 /tmp/kamal-watchdog-app-api.", "h2 /tmp/kamal-watchdog-app-web."]);
        before(log.map(label), /disarm stale/, /pause app-/);
    });

    it("a route a dead deploy left paused on the new container: held through the hook; on failure back to the role's other running container, resumed", async () => {
        const log: Call[] = [];
        const h1 = host("h1", log, { web: web.h1 }).on([...PROXY_CLI, "list"], { stdout: routeTable({ web: web.h1.id }, "paused") }).on(isHook, { code: 1 });
        use(h1);
        await assert.rejects(roleHookProvider.create(inputs({ targets: [target("h1", web.h1.id)] })), HookFailedError);
        const L = log.map(label);
        assert.equal(at(L, /pause app-web/).length, 0, "paused again");
        before(L, /arm 60 rollback/, /hook/);
        before(L, /hook/, /deploy app-web oldweb1/);
        before(L, /deploy app-web oldweb1/, /resume app-web/);
        assert.ok(stderr.lines.some((l) => /paused app-web \(left paused by an interrupted deploy\)/.test(l)), stderr.lines.join(""));
    });

    it("a route a dead deploy left paused, with nothing else running: held through the hook and resumed after it", async () => {
        const log: Call[] = [];
        use(host("h1", log, { web: { id: web.h1.id } }).on([...PROXY_CLI, "list"], { stdout: routeTable({ web: web.h1.id }, "paused") }));
        await roleHookProvider.create(inputs({ targets: [target("h1", web.h1.id)] }));
        const L = log.map(label);
        before(L, /hook/, /resume app-web/);
        assert.equal(at(L, /pause app-web|deploy/).length, 0, L.join("\n"));
        // Its own watchdog only resumes: there is nothing to route back to.
        assert.ok(L.includes("h1 arm 30"), L.join("\n"));
        assert.equal(at(L, /arm \d+ rollback/).length, 0, L.join("\n"));
    });

    it("first deploy: nothing serves, nothing is paused or switched; a failure leaves no route behind", async () => {
        const log: Call[] = [];
        use(host("h1", log, { web: { id: web.h1.id } }).on(isHook, { code: 2 }));
        await assert.rejects(roleHookProvider.create(inputs({ targets: [target("h1", web.h1.id)] })), HookFailedError);
        assert.deepEqual(log.map(label), ["h1 inspect", "h1 find", "h1 routes", "h1 disarm stale", "h1 hook"]);
    });

    it("if pausing fails, nothing was paused: no rollback, no resume, the watchdog is disarmed", async () => {
        const log: Call[] = [];
        use(host("h1", log, { web: web.h1 }).on([...PROXY_CLI, "pause"], { code: 1, stderr: "no such service" }));
        await assert.rejects(roleHookProvider.create(inputs({ targets: [target("h1", web.h1.id)] })), /no such service/);
        assert.deepEqual(log.map(label), ["h1 inspect", "h1 find", "h1 routes", "h1 disarm stale", "h1 inspect", "h1 arm 60 rollback", "h1 pause app-web", "h1 disarm"]);
    });

    it("a failed restore keeps the new container running (it still serves) and still resumes", async () => {
        const log: Call[] = [];
        use(host("h1", log, { web: web.h1 }).on(isHook, { code: 1 })
            .on((a) => a[4] === "deploy" && a.includes(`${web.h1.prev.slice(0, 12)}:3000`), { code: 1, stderr: "target failed to become healthy" }));
        await assert.rejects(roleHookProvider.create(inputs({ targets: [target("h1", web.h1.id)] })), HookFailedError);
        assert.deepEqual(log.map(label).slice(-4), ["h1 hook", "h1 deploy app-web oldweb1", "h1 resume app-web", "h1 disarm"]);
        assert.ok(stderr.lines.some((l) => /could not restore the previous route, the new container keeps serving/.test(l)));
    });

    it("a host failing after the hook succeeded never sends another host back to the old code (the schema is new)", async () => {
        const log: Call[] = [];
        const resumeOnlyArm = (a: string[]) => isArm(a) && !a.join(" ").includes(" deploy ");
        use(host("h1", log, { web: web.h1 }), host("h2", log, { web: web.h2 }).on(resumeOnlyArm, { code: 255, stderr: "SSH connection lost" }));
        await assert.rejects(roleHookProvider.create(inputs({ targets: [target("h1", web.h1.id), target("h2", web.h2.id)] })), /SSH connection lost/);
        const after = log.map(label).slice(log.map(label).indexOf("h1 hook"));
        assert.ok(!after.some((l) => /deploy app-web old/.test(l)), `routed back to old code after the hook: ${after.join(", ")}`);
        assert.ok(after.includes("h1 resume app-web") && after.includes("h2 resume app-web"), after.join(", "));
        assert.ok(!after.some((l) => /stop web/.test(l)), "a new container serving the new schema was stopped");
        // h2's armed watchdog still rolls back when it fires: the user is told, with the command that disarms it.
        const told = stderr.lines.filter((l) => /did not hear that the hook succeeded/.test(l));
        assert.equal(told.length, 1, stderr.lines.join(""));
        assert.match(told[0], /^\[web@h2\] .*routes app-web back to 666666666666 .*run there `docker exec kamal-proxy rm \/tmp\/kamal-watchdog-app-web\.[0-9a-f-]{36} && docker exec kamal-proxy kamal-proxy resume app-web`$/);
    });

    it("a failed resume is retried; the watchdog is disarmed only after kamal-proxy confirms it", async () => {
        const log: Call[] = [];
        use(host("h1", log, { web: web.h1 }).on([...PROXY_CLI, "resume"], { code: 1, stderr: "connection refused" }, 1));
        await roleHookProvider.create(inputs({ targets: [target("h1", web.h1.id)] }));
        assert.deepEqual(log.map(label).slice(-3), ["h1 resume app-web", "h1 resume app-web", "h1 disarm"]);
    });

    it("a resume that never succeeds fails the deploy, says how to resume, and leaves the watchdog armed", async function () {
        this.timeout(10_000);
        const log: Call[] = [];
        use(host("h1", log, { web: web.h1 }).on([...PROXY_CLI, "resume"], { code: 1, stderr: "connection refused" }));
        await assert.rejects(roleHookProvider.create(inputs({ targets: [target("h1", web.h1.id)] })),
            /h1: kamal-proxy did not confirm the resume on h1 \(app-web\) after retries; requests are held until the watchdog acts \(h1: resumes in (2[0-9]|30)s;.*`docker exec kamal-proxy kamal-proxy resume app-web`/);
        assert.equal(log.filter((c) => c.argv[4] === "resume").length, 3);
        // Armed for pause, switch, hook, resume; the last one is left to resume the route.
        assert.equal(log.filter((c) => isDisarm(c.argv)).length, 3);
    });

    it("needs a proxied role", async () => {
        use(host("h1", [], { web: web.h1 }));
        await assert.rejects(roleHookProvider.create(inputs({ proxy: undefined })), /role "web" is not behind kamal-proxy/);
    });

    it("runOn all: the window counts one hook run per host", () => {
        assert.equal(holdLimit(inputs({ runOn: "all" })), 2 * 60 + 2 * 120 + 30);
    });
});

describe("findHooks (run by sh with a stand-in docker)", () => {
    it("lists the hook ids running in the role's containers of this destination only", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "findhooks-"));
        // `docker ps` prints two containers (one of another destination); `docker exec C sh -c SCAN` answers per container.
        fs.writeFileSync(path.join(dir, "docker"), [
            "#!/bin/sh",
            'if [ "$1" = ps ]; then printf "c1\\t\\nc2\\tstaging\\n"; exit 0; fi',
            'if [ "$1" = exec ]; then echo "hook-of-$2"; exit 0; fi',
        ].join("\n"), { mode: 0o755 });
        const argv = hooks.findHooks("app", "web");
        const out = execFileSync(argv[0], argv.slice(1), { encoding: "utf8", env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } });
        assert.equal(out, "c1 hook-of-c1\n");
        const staging = hooks.findHooks("app", "web", "staging");
        assert.equal(execFileSync(staging[0], staging.slice(1), { encoding: "utf8", env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } }), "c2 hook-of-c2\n");
        fs.rmSync(dir, { recursive: true });
    });
});
