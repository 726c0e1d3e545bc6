/**
 * The providers against fake hosts for Kamal interop: the image Kamal's
 * commands run, the latest tag, pruning, the audit log, and drift (what
 * `refresh` reports and how the next `up` repairs it).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as kamal from "../../provider/commands/kamal";
import * as proxy from "../../provider/commands/proxy";
import { RoleContainerInputs, RoleContainerOutputs, roleContainerProvider } from "../../provider/resources/role-container";
import { ProxyContainerOutputs, proxyContainerProvider } from "../../provider/resources/proxy-container";
import { TrafficSwitchInputs, TrafficSwitchOutputs, trafficSwitchProvider } from "../../provider/resources/traffic-switch";
import { connection, FakeHost, inspectOutput, psLine } from "./fakes";
import { dockerHost, inspecting, NEW_ID, OLD_ID, PROXY_CLI, stderr, uninstallHosts, use, withFakeHosts } from "./provider-hosts";

/** kamal-proxy list's table: every cell wrapped in ANSI styling, as v0.9.2 prints it. */
const table = (rows: string[][]) => [["Service", "Host", "Path", "Target", "State", "TLS"], ...rows]
    .map((r) => `${r.map((c) => `\x1b[1;34m${c}\x1b[0m  `).join("")}\n`).join("");

/** The provider tests' host, with an image Kamal did not label and no route yet. */
function host(name = "h1"): FakeHost {
    return dockerHost(name)
        .on(["docker", "image", "inspect"], { stdout: "sha256:1\tnull\n" })
        .on(["docker", "rmi"], {})
        .on([...PROXY_CLI, "resume"], {})
        .on([...PROXY_CLI, "list"], { stdout: table([]) });
}

const containerInputs = (over: Partial<RoleContainerInputs> = {}): RoleContainerInputs => ({
    connection: connection("h1"), service: "app", role: "web", version: "v2", image: "registry.example.com/app:v2",
    env: {}, secretEnv: { SECRET: "s3cr3t\\x" }, labels: {}, volumes: [], options: {},
    health: { kind: "docker", readinessDelay: 0, deployTimeout: 5 }, ...over,
});

describe("interop: the image Kamal runs", () => {
    withFakeHosts();
    it("an image without the service label: a labelled REPO:VERSION built FROM its id, and the container runs that", async () => {
        const h1 = host().on(inspecting(NEW_ID), { stdout: inspectOutput(NEW_ID, "app-web-v2", { running: true }) });
        use(h1);
        const { outs } = await roleContainerProvider.create(containerInputs());
        const [build] = h1.find(["env", "DOCKER_BUILDKIT=0"]);
        assert.deepEqual(build.argv, kamal.labelImage("registry.example.com/app:v2", { service: "app" }));
        assert.equal(build.stdin, "FROM sha256:1\n");
        const run = h1.find(["docker", "run"])[0].argv;
        assert.equal(run.at(-1), "registry.example.com/app:v2");
        assert.equal((outs as RoleContainerOutputs).runImage, "registry.example.com/app:v2");
    });

    it("a labelled digest image with an overridden version: tagged REPO:VERSION, no build", async () => {
        const digest = `registry.example.com/app@sha256:${"c".repeat(64)}`;
        const h1 = host()
            .on(["docker", "image", "inspect"], { stdout: 'sha256:9\t{"service":"app"}\n' })
            .on(inspecting(NEW_ID), { stdout: inspectOutput(NEW_ID, "app-web-rel7", { running: true }) });
        use(h1);
        await roleContainerProvider.create(containerInputs({ image: digest, version: "rel7" }));
        assert.deepEqual(h1.find(["docker", "tag"]).map((c) => c.argv), [kamal.tag(digest, "registry.example.com/app:rel7")]);
        assert.equal(h1.find(["env"]).length, 0);
        assert.equal(h1.find(["docker", "run"])[0].argv.at(-1), "registry.example.com/app:rel7");
    });

    it("the env file is Kamal's encoding, and boots are audited with the role", async () => {
        const h1 = host().on(inspecting(NEW_ID), { stdout: inspectOutput(NEW_ID, "app-web-v2", { running: true }) });
        use(h1);
        await roleContainerProvider.create(containerInputs({ destination: "staging" }));
        const [envWrite, auditCall] = h1.find(["sh", "-c"]);
        assert.equal(envWrite.stdin, "SECRET=s3cr3t\\\\x\n");
        assert.equal(auditCall.argv[4], ".kamal/app-staging-audit.log");
        assert.match(auditCall.argv[5], /^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\] \[[^\]]+\] \[staging\] \[web\] Booted app version v2$/);
        assert.ok(!auditCall.argv.join(" ").includes("s3cr3t"));
    });
});

describe("interop: after the switch", () => {
    withFakeHosts();
    const releaseInputs = (over: Partial<TrafficSwitchInputs> = {}): TrafficSwitchInputs => ({
        connection: connection("h1"), service: "app", role: "web", containerId: NEW_ID, containerName: "app-web-v3",
        proxy: { service: "app-web", appPort: 80, deployTimeout: 30, drainTimeout: 30, healthcheck: { path: "/up", interval: 1, timeout: 5 }, responseTimeout: 30 },
        retainContainers: 2, image: "registry.example.com/app:v3", ...over,
    });

    it("tags REPO:latest, prunes the service's stopped containers past the newest 2 and unused image tags, audits each", async () => {
        const h1 = host()
            .on(["docker", "ps", "-q"], { stdout: ["c1", "c2", "c3", "c4"].join("\n") })
            .on(["docker", "container", "ls"], { stdout: "registry.example.com/app:v3\nregistry.example.com/app:v2\n" })
            .on(["docker", "image", "ls"], { stdout: "i1 registry.example.com/app:v1\ni2 registry.example.com/app:v2\ni3 registry.example.com/app:v3\ni4 registry.example.com/app:latest\n" });
        use(h1);
        await trafficSwitchProvider.create(releaseInputs());
        const after = h1.calls.slice(h1.indexOf(["docker", "tag"])).map((c) => (c.argv[0] === "sh" ? `AUDIT ${c.argv[5].replace(/^.*\] /, "")}` : c.argv.join(" ")));
        // Audit lines are written alongside the pruning, in their own order.
        assert.deepEqual(after.filter((l) => !l.startsWith("AUDIT")), [
            "docker tag registry.example.com/app:v3 registry.example.com/app:latest",
            kamal.stoppedServiceContainers("app").join(" "),
            "docker rm c3", "docker rm c4",
            kamal.pruneDanglingImages("app").join(" "),
            kamal.serviceContainerImages("app").join(" "),
            kamal.serviceImages("app").join(" "),
            "docker rmi registry.example.com/app:v1",
        ]);
        assert.deepEqual(after.filter((l) => l.startsWith("AUDIT")), ["AUDIT Pruned containers", "AUDIT Pruned images"]);
        assert.ok(h1.calls.some((c) => c.argv[0] === "sh" && c.argv[5].endsWith("[web] Tagging registry.example.com/app:v3 as the latest image")));
    });
});

describe("interop: drift", () => {
    withFakeHosts();
    const releaseOlds: TrafficSwitchOutputs = {
        connection: connection("h1"), service: "app", role: "web", containerId: NEW_ID, containerName: "app-web-v3",
        proxy: { service: "app-web", appPort: 80, deployTimeout: 30, drainTimeout: 30, healthcheck: { path: "/up", interval: 1, timeout: 5 }, responseTimeout: 30 },
        retainContainers: 5, retired: [], switchedAt: 1, drift: [],
    };
    const ours = ["app-web", "*", "", "aaaaaaaaaaaa:80", "running", "no"];

    it("parses kamal-proxy list, empty cells included", () => {
        assert.deepEqual(proxy.parseProxyList(table([ours, ["other-web", "a.com,b.com", "/api", "0123:3000", "paused", "yes"]])), {
            "app-web": { host: "*", path: "", target: "aaaaaaaaaaaa:80", state: "running", tls: false },
            "other-web": { host: "a.com,b.com", path: "/api", target: "0123:3000", state: "paused", tls: true },
        });
    });

    it("a route that matches and no other container: no drift, no change", async () => {
        use(host().on([...PROXY_CLI, "list"], { stdout: table([ours]) }));
        const { props } = await trafficSwitchProvider.read!("h1/app-web", releaseOlds);
        assert.deepEqual(props.drift, []);
        assert.deepEqual(await trafficSwitchProvider.diff!("x", props, releaseOlds), { changes: false });
    });

    it("each kind of route drift is reported, and the next up switches back saying why", async () => {
        const kamalV1 = psLine(OLD_ID, "app-web-v1", "running", "2024-01-06 10:00:00");
        const cases: [FakeHost, string[]][] = [
            [host().on([...PROXY_CLI, "list"], { stdout: table([["app-web", "*", "", "bbbbbbbbbbbb:80", "running", "no"]]) }).on(["docker", "ps"], { stdout: kamalV1 }),
                ["kamal-proxy routes app-web to bbbbbbbbbbbb:80, not app-web-v3 (aaaaaaaaaaaa:80)", "other containers of the role run: app-web-v1"]],
            [host(), ["kamal-proxy has no route app-web"]],
            [host().on([...PROXY_CLI, "list"], { code: 1, stderr: "Error: No such container: kamal-proxy" }), ["kamal-proxy is not running, so app-web serves nothing"]],
            [host().on([...PROXY_CLI, "list"], { stdout: table([[...ours.slice(0, 4), "paused", "no"]]) }), ["kamal-proxy's route app-web is paused"]],
        ];
        for (const [h, expected] of cases) {
            use(h);
            const { props } = await trafficSwitchProvider.read!("h1/app-web", releaseOlds);
            assert.deepEqual(props.drift, expected);
            assert.deepEqual(await trafficSwitchProvider.diff!("x", props, releaseOlds), { changes: true });
            const { outs } = await trafficSwitchProvider.update!("x", props, releaseOlds);
            assert.deepEqual(outs.drift, []);
            assert.equal(h.find([...PROXY_CLI, "deploy"])[0].argv[7], "aaaaaaaaaaaa:80");
            assert.equal(h.find([...PROXY_CLI, "resume"]).length, expected[0].endsWith("paused") ? 1 : 0);
            uninstallHosts();
        }
        assert.ok(stderr.lines.includes("drift: [web@h1] kamal-proxy has no route app-web"));
        assert.ok(stderr.lines.some((l) => l.startsWith("[web@h1] switching back to app-web-v3: kamal-proxy routes app-web to bbbbbbbbbbbb:80")));
    });

    describe("containers", () => {
        const secretEnv = { SECRET: "s3cr3t" };
        const digest = createHash("sha256").update(kamal.envFile(secretEnv)).digest("hex");
        const olds: RoleContainerOutputs = { ...containerInputs({ secretEnv }), containerId: OLD_ID, containerName: "app-web-v2", healthyAt: 1, envFileSha256: digest, drift: [] };
        const running = (h: FakeHost) => h.on(inspecting(OLD_ID), { stdout: inspectOutput(OLD_ID, "app-web-v2", { running: true }) });

        it("running with its env file intact: no drift", async () => {
            use(running(host()).on((a) => a[0] === "sh" && a[2].includes("sha256sum"), { stdout: `${digest}  -\n` }));
            const { props } = await roleContainerProvider.read!(OLD_ID, olds);
            assert.deepEqual(props.drift, []);
            assert.equal((await roleContainerProvider.diff!(OLD_ID, props as RoleContainerOutputs, containerInputs({ secretEnv }))).changes, false);
        });

        it("env file changed or missing, container stopped: reported, then repaired in place (env rewritten, same container started)", async () => {
            const edited = running(host()).on((a) => a[0] === "sh" && a[2].includes("sha256sum"), { stdout: `${"0".repeat(64)}  -\n` });
            use(edited);
            assert.deepEqual((await roleContainerProvider.read!(OLD_ID, olds)).props.drift, ["env file .kamal/apps/app/env/roles/web.env was changed"]);
            uninstallHosts();

            const stopped = host()
                .on(inspecting(OLD_ID), { stdout: inspectOutput(OLD_ID, "app-web-v2", { running: false }) })
                .on((a) => a[0] === "sh" && a[2].includes("sha256sum"), { code: 1, stderr: "No such file" });
            use(stopped);
            const { props } = await roleContainerProvider.read!(OLD_ID, olds);
            assert.deepEqual(props.drift, ["container app-web-v2 is exited", "env file .kamal/apps/app/env/roles/web.env is missing"]);
            const diff = await roleContainerProvider.diff!(OLD_ID, props as RoleContainerOutputs, containerInputs({ secretEnv }));
            assert.deepEqual(diff, { changes: true, replaces: [], deleteBeforeReplace: false });
            // Started once it is asked to: the update starts it and it then runs.
            stopped.on(["docker", "start"], () => { stopped.on(inspecting(OLD_ID), { stdout: inspectOutput(OLD_ID, "app-web-v2", { running: true }) }); return {}; });
            const { outs } = await roleContainerProvider.update!(OLD_ID, props as RoleContainerOutputs, containerInputs({ secretEnv }));
            assert.equal(outs.containerId, OLD_ID);
            assert.deepEqual(outs.drift, []);
            assert.equal(stopped.find(["docker", "start"])[0].argv[2], OLD_ID);
            const rewrite = stopped.calls.filter((c) => c.argv[0] === "sh" && c.argv[2].includes("umask 077"));
            assert.deepEqual(rewrite.map((c) => c.stdin), ["SECRET=s3cr3t\n"]);
        });
    });

    it("kamal-proxy gone: reported, and the next up boots it again", async () => {
        const olds: ProxyContainerOutputs = { connection: connection("h1"), image: "basecamp/kamal-proxy:v0.9.2", httpPort: 80, httpsPort: 443, created: false, drift: [] };
        const h1 = host();
        use(h1);
        const { props } = await proxyContainerProvider.read!("h1/kamal-proxy", olds);
        assert.deepEqual(props.drift, ["kamal-proxy is gone"]);
        assert.deepEqual(await proxyContainerProvider.diff!("x", props as ProxyContainerOutputs, olds), { changes: true });
        h1.on(["docker", "run"], () => {
            h1.on((a) => a[2] === "inspect" && a.at(-1) === "kamal-proxy", { stdout: "basecamp/kamal-proxy:v0.9.2\t/home/kamal-proxy/.apps-config \n" });
            return { stdout: "id\n" };
        });
        const { outs } = await proxyContainerProvider.update!("x", props as ProxyContainerOutputs, olds);
        assert.deepEqual(h1.find(["docker", "run"])[0].argv, proxy.runProxy({ ...olds, appsConfigDir: "/home/deploy/.kamal/proxy/apps-config" }));
        assert.equal(outs.created, true);
        assert.deepEqual(outs.drift, []);
    });

    it("refuses to adopt a kamal-proxy older than Kamal's minimum, naming the fix", async () => {
        const h1 = host()
            .on(inspecting("kamal-proxy"), { stdout: inspectOutput("e".repeat(64), "kamal-proxy", { running: true }) })
            .on((a) => a[2] === "inspect" && a[4]?.startsWith("{{.Config.Image}}") === true, { stdout: "basecamp/kamal-proxy:v0.8.4\t\n" });
        use(h1);
        await assert.rejects(proxyContainerProvider.create({ connection: connection("h1"), image: "basecamp/kamal-proxy:v0.9.2", httpPort: 80, httpsPort: 443 }),
            /h1: kamal-proxy runs basecamp\/kamal-proxy:v0\.8\.4, older than v0\.9\.2 .*kamal proxy reboot/);
        assert.equal(proxy.olderThanMinimum("basecamp/kamal-proxy:v0.10.0"), false);
        assert.equal(proxy.olderThanMinimum("basecamp/kamal-proxy:latest"), false);
    });
});
