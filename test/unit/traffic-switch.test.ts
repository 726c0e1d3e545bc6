/**
 * TrafficSwitch's provider against fake hosts: the switch, retirement, stale
 * health-check routes, destroy, and two states deploying one service.
 */
import assert from "node:assert/strict";
import * as docker from "../../provider/commands/docker";
import * as proxy from "../../provider/commands/proxy";
import { disarmStaleWatchdogs } from "../../provider/commands/watchdog";
import { TrafficSwitchInputs, trafficSwitchProvider } from "../../provider/resources/traffic-switch";
import { CommandError } from "../../provider/transport";
import { connection, inspectOutput, psLine } from "./fakes";
import { dockerHost, hex, inspecting, NEW_ID, OLD_ID, PROXY_CLI, route, stderr, uninstallHosts, use, withFakeHosts } from "./provider-hosts";

describe("trafficSwitchProvider", () => {
    withFakeHosts();

    const inputs = (over: Partial<TrafficSwitchInputs> = {}): TrafficSwitchInputs => ({
        connection: connection("h1"),
        service: "app",
        role: "web",
        containerId: NEW_ID,
        containerName: "app-web-v3",
        proxy: { ...route, appPort: 3000 },
        stopTimeout: 20,
        retainContainers: 2,
        ...over,
    });
    const [A, B, C, D] = ["1", "2", "3", "4"].map(hex);
    const ps = [
        psLine(NEW_ID, "app-web-v3", "running", "2024-01-05 10:00:00"),
        psLine(C, "app-web-v1b", "exited", "2024-01-02 10:00:00"),
        psLine(A, "app-web-v2", "running", "2024-01-04 10:00:00"),
        psLine(D, "app-web-v1a", "exited", "2024-01-01 10:00:00"),
        psLine(B, "app-web-v1c", "exited", "2024-01-03 10:00:00"),
        psLine(hex("9"), "app-web-v2", "running", "2024-01-04 10:00:00", "staging"),
    ].join("\n");

    it("switches traffic, stops the role's other running containers (pruning is service-wide: interop.test.ts)", async () => {
        const h1 = dockerHost("h1").on(["docker", "ps"], { stdout: ps });
        use(h1);
        const before = Date.now();
        const { id, outs } = await trafficSwitchProvider.create(inputs());
        assert.equal(id, "h1/app-web");
        assert.deepEqual(h1.calls.map((c) => c.argv), [
            proxy.deploy({ ...route, target: "aaaaaaaaaaaa:3000" }),
            docker.listRoleContainers("app", "web"),
            proxy.list(),
            // Watchdogs a dead paused deploy left would route back later: disarmed under this deploy's lock.
            disarmStaleWatchdogs("app-web"),
            docker.stop(A, 20),
        ]);
        assert.deepEqual(outs.retired, ["app-web-v2"]);
        assert.ok(outs.switchedAt >= before);
        assert.ok(stderr.lines.some((l) => l === "[web@h1] stopped app-web-v2"));
    });

    it("removes the role's health-check routes a deploy killed mid-check left behind, and no other route", async () => {
        const rows = ["app-web  app.example.com  /  aaaaaaaaaaaa:3000  running  no", "app-web-preflight-cccccccccccc  cccccccccccc.preflight.invalid  /  cccccccccccc:3000  running  no",
            "app-api-preflight-dddddddddddd  dddddddddddd.preflight.invalid  /  dddddddddddd:3000  running  no"];
        const h1 = dockerHost("h1").on(["docker", "ps"], { stdout: ps }).on([...PROXY_CLI, "list"], { stdout: ["Service  Host  Path  Target  State  TLS", ...rows].join("\n") });
        use(h1);
        await trafficSwitchProvider.create(inputs());
        assert.deepEqual(h1.find([...PROXY_CLI, "remove"]).map((c) => c.argv), [proxy.remove("app-web-preflight-cccccccccccc")]);
    });

    it("resumes a route an interrupted paused deploy left paused (and only then)", async () => {
        const paused = ["Service  Host  Path  Target  State  TLS", "app-web  app.example.com  /  aaaaaaaaaaaa:3000  paused  no"].join("\n");
        const h1 = dockerHost("h1").on(["docker", "ps"], { stdout: ps }).on([...PROXY_CLI, "list"], { stdout: paused }).on([...PROXY_CLI, "resume"], {});
        use(h1);
        await trafficSwitchProvider.create(inputs());
        const argv = h1.calls.map((c) => c.argv);
        assert.deepEqual(argv.filter((a) => a[4] === "resume"), [proxy.resume("app-web")]);
        assert.ok(argv.findIndex((a) => a[4] === "resume") > argv.findIndex((a) => a[4] === "deploy"), "resumed before the switch");
        assert.ok(stderr.lines.some((l) => l === "[web@h1] resumed app-web, left paused by an interrupted deploy"), stderr.lines.join(""));
    });

    it("a role without kamal-proxy: no switch, only retirement", async () => {
        const h1 = dockerHost("h1").on(["docker", "ps"], { stdout: ps });
        use(h1);
        await trafficSwitchProvider.create(inputs({ proxy: undefined, retainContainers: 5, stopTimeout: undefined }));
        assert.deepEqual(h1.calls.map((c) => c.argv), [docker.listRoleContainers("app", "web"), docker.stop(A)]);
    });

    it("a held role's container its hook did not start (the hook did not run again) is started and healthy before the old ones stop", async () => {
        const health = { kind: "docker" as const, readinessDelay: 0, deployTimeout: 5 };
        const states = [{ running: false, status: "created" }, { running: true, health: "healthy" }];
        const h1 = dockerHost("h1").on(["docker", "ps"], { stdout: ps })
            .on(inspecting(NEW_ID), () => ({ stdout: inspectOutput(NEW_ID, "app-worker-v3", states.length > 1 ? states.shift()! : states[0]) }));
        use(h1);
        await trafficSwitchProvider.create(inputs({ role: "worker", containerName: "app-worker-v3", proxy: undefined, health }));
        const argv = h1.calls.map((c) => c.argv);
        const [start, stop] = [argv.findIndex((a) => a[1] === "start"), argv.findIndex((a) => a[1] === "stop")];
        assert.deepEqual(argv[start], docker.start(NEW_ID));
        assert.ok(start >= 0 && stop > start + 1, `started, checked, then the old one stopped: ${argv.map((a) => a.slice(0, 3).join(" ")).join(", ")}`);
    });

    it("a held role's container gone before its switch: fails naming it, and the old ones keep running", async () => {
        const h1 = dockerHost("h1").on(["docker", "ps"], { stdout: ps });
        use(h1);
        await assert.rejects(trafficSwitchProvider.create(inputs({ containerName: "app-worker-v3", proxy: undefined, health: { kind: "docker", readinessDelay: 0, deployTimeout: 5 } })),
            /h1: container app-worker-v3 is gone; run `pulumi refresh` then `pulumi up`/);
        assert.equal(h1.find(["docker", "stop"]).length, 0);
    });

    it("a held role's container already started by its hook is not started again", async () => {
        const h1 = dockerHost("h1").on(["docker", "ps"], { stdout: ps }).on(inspecting(NEW_ID), { stdout: inspectOutput(NEW_ID, "app-worker-v3", { running: true }) });
        use(h1);
        await trafficSwitchProvider.create(inputs({ proxy: undefined, health: { kind: "docker", readinessDelay: 0, deployTimeout: 5 } }));
        assert.equal(h1.find(["docker", "start"]).length, 0);
    });

    it("a failed switch stops nothing", async () => {
        const h1 = dockerHost("h1").on(["docker", "ps"], { stdout: ps }).on([...PROXY_CLI, "deploy"], { code: 1, stderr: "target failed to become healthy" });
        use(h1);
        await assert.rejects(trafficSwitchProvider.create(inputs()), CommandError);
        assert.equal(h1.calls.length, 1);
    });

    it("diff: a new container or new proxy settings redeploy", async () => {
        const olds = { ...inputs(), retired: [], switchedAt: 1 };
        assert.deepEqual(await trafficSwitchProvider.diff!("x", olds, inputs()), { changes: false });
        assert.deepEqual(await trafficSwitchProvider.diff!("x", olds, inputs({ containerId: OLD_ID })), { changes: true });
        assert.deepEqual(await trafficSwitchProvider.diff!("x", olds, inputs({ retainContainers: 3 })), { changes: true });
    });

    it("delete removes the kamal-proxy service, tolerating one already gone", async () => {
        const h1 = dockerHost("h1")
            .on(inspecting("kamal-proxy"), { stdout: inspectOutput(hex("e"), "kamal-proxy", { running: true }) })
            .on([...PROXY_CLI, "remove"], { code: 1, stderr: "Error: service not found" });
        use(h1);
        await trafficSwitchProvider.delete!("h1/app-web", { ...inputs(), retired: [], switchedAt: 1 });
        assert.deepEqual(h1.find([...PROXY_CLI, "remove"]).map((c) => c.argv), [proxy.remove("app-web")]);
    });

    describe("two states deploying one service (not at once)", () => {
        const listing = (target: string) => ({ stdout: `Service  Host  Path  Target  State  TLS\napp-web  app.example.com  /  ${target}  running  no\n` });

        it("destroy leaves a route another state switched to its running container, and says so", async () => {
            const h1 = dockerHost("h1")
                .on(inspecting("kamal-proxy"), { stdout: inspectOutput(hex("e"), "kamal-proxy", { running: true }) })
                .on([...PROXY_CLI, "list"], listing("cccccccccccc:3000"))
                .on(inspecting("cccccccccccc"), { stdout: inspectOutput(hex("c"), "app-web-v9", { running: true }) });
            use(h1);
            await trafficSwitchProvider.delete!("h1/app-web", { ...inputs(), retired: [], switchedAt: 1 });
            assert.equal(h1.find([...PROXY_CLI, "remove"]).length, 0);
            assert.ok(stderr.lines.some((l) => l.includes("routes app-web to app-web-v9, which this stack did not deploy: route left in place")), stderr.lines.join("\n"));
        });

        it("destroy removes the route when it points at our container, or at one that no longer runs", async () => {
            for (const target of ["aaaaaaaaaaaa:3000", "dddddddddddd:3000"]) {
                const h1 = dockerHost("h1")
                    .on(inspecting("kamal-proxy"), { stdout: inspectOutput(hex("e"), "kamal-proxy", { running: true }) })
                    .on([...PROXY_CLI, "list"], listing(target))
                    .on(inspecting("dddddddddddd"), { stdout: inspectOutput(hex("d"), "app-web-v0", { running: false, status: "exited" }) });
                use(h1);
                await trafficSwitchProvider.delete!("h1/app-web", { ...inputs(), retired: [], switchedAt: 1 });
                assert.deepEqual(h1.find([...PROXY_CLI, "remove"]).map((c) => c.argv), [proxy.remove("app-web")], target);
                uninstallHosts();
            }
        });

        it("a stack's first switch names the containers it took over from another state or Kamal; later switches do not", async () => {
            const h1 = dockerHost("h1").on(["docker", "ps"], { stdout: ps });
            use(h1);
            const { outs } = await trafficSwitchProvider.create(inputs());
            assert.ok(stderr.lines.some((l) => l.startsWith("[web@h1] app-web-v2 ran without being in this stack's state")), stderr.lines.join("\n"));
            const lines = stderr.lines.length;
            await trafficSwitchProvider.update!("h1/app-web", outs, inputs());
            assert.ok(!stderr.lines.slice(lines).some((l) => l.includes("without being in this stack's state")));
        });
    });
});
