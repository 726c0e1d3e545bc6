/**
 * The benchmark's trace (provider/trace.ts) and the critical path computed
 * from it (bench/critical-path.ts).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { criticalPath, deployGraph, longestPath, RoleShape } from "../../bench/critical-path";
import { providers } from "../../provider";
import { parseTrace, TraceEvent, traced } from "../../provider/trace";
import { captureStderr, connection, FakeHost, installHosts, inspectOutput } from "./fakes";

const ev = (resource: string, host: string, step: string, start: number, end: number): TraceEvent =>
    ({ resource, host, step, start, end, ok: true, pid: 1 });

describe("longestPath", () => {
    it("takes the heaviest chain, not the one with most nodes", () => {
        const p = longestPath([
            { id: "a", ms: 1, deps: [] },
            { id: "b", ms: 1, deps: ["a"] },
            { id: "c", ms: 1, deps: ["b"] },
            { id: "x", ms: 5, deps: [] },
            { id: "y", ms: 1, deps: ["x", "a"] },
        ]);
        assert.deepEqual(p, { ms: 6, chain: ["x", "y"] });
    });

    it("rejects cycles and unknown dependencies", () => {
        assert.throws(() => longestPath([{ id: "a", ms: 1, deps: ["b"] }, { id: "b", ms: 1, deps: ["a"] }]), /cycle/);
        assert.throws(() => longestPath([{ id: "a", ms: 1, deps: ["zz"] }]), /unknown node zz/);
    });
});

describe("criticalPath", () => {
    const roles: RoleShape[] = [
        { name: "web", proxied: true, hook: "primary", bootAfter: [] },
        { name: "api", proxied: true, bootAfter: ["web"] },
        { name: "worker", proxied: false, bootAfter: ["web"] },
    ];
    const hosts = ["h1", "h2"];

    it("wires KamalRole's graph: other roles wait for web's hook; each switch for its container and the hook", () => {
        const nodes = new Map(deployGraph(roles, hosts, []).map((n) => [n.id, n.deps]));
        assert.deepEqual(nodes.get("container/web@h2"), ["proxy@h2"]);
        assert.deepEqual(nodes.get("hook/web"), ["container/web@h1"]);
        assert.deepEqual(nodes.get("switch/web@h2"), ["container/web@h2", "hook/web"]);
        assert.deepEqual(nodes.get("container/api@h2"), ["proxy@h2", "hook/web"]);
        assert.deepEqual(nodes.get("container/worker@h1"), ["hook/web"]);
        assert.deepEqual(nodes.get("switch/worker@h1"), ["container/worker@h1"]);
    });

    it("follows the slow host through the hook, plus the longest delete; lists the chain's steps", () => {
        const events = [
            ev("container/web", "h1", "create", 0, 1000), ev("container/web", "h1", "pull", 0, 300), ev("container/web", "h1", "healthy", 400, 1000),
            ev("container/web", "h2", "create", 0, 3000),
            ev("hook/web", "h1", "create", 1000, 1200), ev("hook/web", "h1", "hook", 1050, 1200),
            ev("switch/web", "h2", "create", 3000, 3300),
            ev("container/worker", "h2", "create", 1200, 2500),
            ev("container/api", "h1", "create", 1200, 3200),
            ev("switch/api", "h1", "create", 3200, 3400), ev("switch/api", "h1", "switch", 3200, 3350),
            ev("container/web", "h1", "delete", 3500, 3550), ev("container/api", "h2", "delete", 3500, 3600),
        ];
        const cp = criticalPath(roles, hosts, events);
        // Operations that did not run (the proxies: 0 ms) drop out of the chain.
        // web@h2 alone is 3000 + 300 = 3300; web@h1 -> hook -> api@h1 -> switch is 1000 + 200 + 2000 + 200 = 3400.
        assert.deepEqual(cp.chain, ["container/web@h1", "hook/web", "container/api@h1", "switch/api@h1"]);
        assert.equal(cp.deleteMs, 100);
        assert.equal(cp.ms, 3500);
        assert.deepEqual(cp.steps.map((s) => `${s.node} ${s.step} ${s.ms}`), [
            "container/web@h1 pull 300", "container/web@h1 healthy 600", "hook/web hook 150", "switch/api@h1 switch 150",
        ]);
    });

    it("a role with runOn: all hooks gates on every host's hook", () => {
        const all: RoleShape[] = [{ name: "web", proxied: false, hook: "all", bootAfter: [] }, { name: "worker", proxied: false, bootAfter: ["web"] }];
        const nodes = new Map(deployGraph(all, hosts, []).map((n) => [n.id, n.deps]));
        assert.deepEqual(nodes.get("container/worker@h1"), ["hook/web@h1", "hook/web@h2"]);
        assert.deepEqual(nodes.get("switch/web@h2"), ["container/web@h2", "hook/web@h2"]);
    });
});

describe("trace", () => {
    let dir: string;
    let stderr: ReturnType<typeof captureStderr>;
    let uninstall: (() => void) | undefined;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "pk-trace-"));
        stderr = captureStderr();
    });
    afterEach(() => {
        stderr.restore();
        uninstall?.();
        delete process.env.PULUMI_KAMAL_TRACE;
        fs.rmSync(dir, { recursive: true, force: true });
    });

    const worker = () => {
        const id = "c".repeat(64);
        const h = new FakeHost("h1")
            .on(["docker", "network", "inspect"], { stdout: "kamal\n" })
            .on(["docker", "image", "inspect"], { stdout: "sha256:1\n" })
            .on(["env", "DOCKER_BUILDKIT=0", "docker", "build"], {})
            .on(["sh", "-c"], { stdout: "/root/w.env" })
            .on(["docker", "container", "inspect"], { code: 1, stderr: "Error: No such container" })
            .on(["docker", "run"], { stdout: `${id}\n` })
            .on((argv) => argv[2] === "inspect" && argv.at(-1) === id, { stdout: inspectOutput(id, "app-worker-v1", { running: true, health: "healthy" }) });
        uninstall = installHosts([h]);
        return providers.RoleContainer.create({
            connection: connection("h1"), service: "app", role: "worker", version: "v1", image: "app:v1",
            env: {}, secretEnv: { TOKEN: "s3cret" }, labels: {}, volumes: [], options: {},
            health: { kind: "docker", readinessDelay: 0, deployTimeout: 5 },
        });
    };

    it("records the operation, its steps and every command's first two words when PULUMI_KAMAL_TRACE is set", async () => {
        const file = path.join(dir, "trace.jsonl");
        process.env.PULUMI_KAMAL_TRACE = file;
        await worker();
        const events = parseTrace(fs.readFileSync(file, "utf8"));
        const steps = events.filter((e) => e.resource === "container/worker").map((e) => e.step);
        assert.deepEqual(steps, ["pull", "tag", "env", "start", "healthy", "create"]);
        const create = events.find((e) => e.step === "create")!;
        assert.equal(create.host, "h1");
        assert.ok(create.end >= create.start && events.every((e) => e.start >= create.start && e.end <= create.end));
        assert.ok(events.filter((e) => e.step === "ssh").some((e) => e.detail === "docker run"));
        assert.ok(!fs.readFileSync(file, "utf8").includes("s3cret"), "no secret in the trace");
    });

    it("writes nothing when unset, and a failed step is recorded as failed and still throws", async () => {
        await worker();
        assert.deepEqual(fs.readdirSync(dir), []);
        const file = path.join(dir, "t");
        process.env.PULUMI_KAMAL_TRACE = file;
        await assert.rejects(traced("x/y", "h", "pull", async () => { throw new Error("boom"); }), /boom/);
        const [e] = parseTrace(fs.readFileSync(file, "utf8") + "{torn");
        assert.equal(e.ok, false);
        assert.equal(e.step, "pull");
    });
});
