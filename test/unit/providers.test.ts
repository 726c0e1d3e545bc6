/**
 * The dynamic providers against fake hosts: exact commands, their order,
 * where secrets travel, and the failure paths (unhealthy, hook failures,
 * timeouts, paused switches rolled back).
 */
import assert from "node:assert/strict";
import * as docker from "../../provider/commands/docker";
import * as hooks from "../../provider/commands/hook";
import * as kamal from "../../provider/commands/kamal";
import * as proxy from "../../provider/commands/proxy";
import * as registryCmd from "../../provider/commands/registry";
import { envFileContent, UnhealthyError } from "../../provider/operations";
import { ContainerInputs, ContainerOutputs, containerProvider } from "../../provider/resources/container";
import { HookFailedError, HookInputs, HookOutputs, hookProvider, HookTarget, stopStrayHooks } from "../../provider/resources/hook";
import { ProxyOutputs, proxyProvider } from "../../provider/resources/proxy";
import { ReleaseInputs, releaseProvider } from "../../provider/resources/release";
import { providerStub } from "../../provider/stub";
import { CommandError, run, TransportError } from "../../provider/transport";
import { LocalTransport } from "../../provider/transport/local";
import { Call, captureStderr, connection, FakeHost, inspectOutput, installHosts, psLine } from "./fakes";

const PROXY_CLI = ["docker", "exec", "kamal-proxy", "kamal-proxy"];
const hex = (c: string) => c.repeat(64);
const NEW_ID = hex("a");
const OLD_ID = hex("b");

const route = {
    service: "app-web",
    hosts: ["app.example.com"],
    tls: false,
    deployTimeout: 30,
    drainTimeout: 30,
    healthcheck: { path: "/up", interval: 1, timeout: 5 },
    responseTimeout: 30,
};

/** Matches `docker container inspect ... <ref>`. */
const inspecting = (ref: string) => (argv: string[]) => argv[1] === "container" && argv[2] === "inspect" && argv.at(-1) === ref;

/** A host where everything succeeds and no container exists yet; tests override what they need. */
/** The registry login: the host's Docker config read, then written with the credentials on stdin. */
const isConfigRead = (a: readonly string[]) => a[0] === "sh" && a[2] === registryCmd.readDockerConfig()[2];
const isLoginWrite = (a: readonly string[]) => a[0] === "sh" && a[2] === registryCmd.writeDockerConfig()[2];

function dockerHost(name: string, log?: Call[]): FakeHost {
    return new FakeHost(name, log)
        .on(["docker", "network", "inspect"], { stdout: "kamal\n" })
        .on(["docker", "image", "inspect"], { stdout: 'sha256:1\t{"service":"app"}\n' })
        .on(["docker", "tag"], {})
        .on(["env", "DOCKER_BUILDKIT=0", "docker", "build"], { stdout: "sha256:2\n" })
        .on(["docker", "image", "ls"], { stdout: "" })
        .on(["docker", "image", "prune"], {})
        .on(["docker", "container", "ls"], { stdout: "" })
        .on(["docker", "pull"], {})
        .on(["docker", "container", "inspect"], { code: 1, stderr: "Error: No such container" })
        .on(["sh", "-c"], (argv) => ({ stdout: `/home/deploy/${argv[4]}` }))
        .on(isConfigRead, { stdout: "" })
        .on(isLoginWrite, {})
        .on(["docker", "run"], { stdout: `${NEW_ID}\n` })
        .on(["docker", "ps"], { stdout: "" })
        .on(["docker", "stop"], {})
        .on(["docker", "start"], {})
        .on(["docker", "rm"], {})
        .on(["docker", "rename"], {})
        .on(["docker", "logs"], {})
        .on([...PROXY_CLI, "deploy"], {})
        .on([...PROXY_CLI, "remove"], {})
        .on([...PROXY_CLI, "list"], { stdout: "Service Host Path Target State TLS\n" })
        .on((a) => a[2] === "inspect" && a[4]?.startsWith("{{.Config.Image}}") === true, { stdout: "basecamp/kamal-proxy:v0.9.2\t/home/kamal-proxy/.config/kamal-proxy /home/kamal-proxy/.apps-config \n" });
}

let stderr: ReturnType<typeof captureStderr>;
let uninstall: (() => void) | undefined;
beforeEach(() => { stderr = captureStderr(); });
afterEach(() => {
    stderr.restore();
    uninstall?.();
    uninstall = undefined;
});
const use = (...hosts: FakeHost[]) => { uninstall = installHosts(hosts); };

describe("containerProvider", () => {
    const inputs = (over: Partial<ContainerInputs> = {}): ContainerInputs => ({
        connection: connection("h1"),
        service: "app",
        role: "web",
        version: "v2",
        image: "registry.example.com/app:v2",
        cmd: ["bin/rails", "server"],
        env: { RAILS_ENV: "production" },
        secretEnv: { DATABASE_URL: "postgres://app:hunter2@db/app", SECRET_KEY_BASE: "sk-very-secret" },
        labels: { team: "core" },
        volumes: [],
        options: {},
        registry: { server: "registry.example.com", username: "bot", password: "reg-pa55" },
        health: { kind: "proxy", target: route, appPort: 3000 },
        ...over,
    });
    const ENV_FILE = "/home/deploy/.kamal/apps/app/env/roles/web.env";

    describe("create", () => {
        it("network, login+pull, env file, run, then kamal-proxy's health check on a throwaway service, in that order", async () => {
            const h1 = dockerHost("h1");
            use(h1);
            const before = Date.now();
            const result = await containerProvider.create(inputs());
            const preflight = proxy.preflight({ ...route, target: "aaaaaaaaaaaa:3000" }, "aaaaaaaaaaaa");
            // The audit line carries a time, the hostname a random suffix: both checked in interop.test.ts.
            const run = h1.find(["docker", "run"])[0].argv;
            assert.match(run[10], /^h1-[0-9a-f]{12}$/);
            assert.deepEqual(h1.calls.map((c) => (c.argv[4] === ".kamal/app-audit.log" ? "AUDIT" : c.argv)), [
                docker.networkInspect(),
                registryCmd.readDockerConfig(),
                registryCmd.writeDockerConfig(),
                docker.pull("registry.example.com/app:v2"),
                kamal.imageConfig("registry.example.com/app:v2"),
                docker.writePrivateFile(".kamal/apps/app/env/roles/web.env"),
                "AUDIT",
                [
                    "docker", "run", "--detach", "--restart", "unless-stopped", "--name", "app-web-v2", "--network", "kamal",
                    "--hostname", run[10],
                    "--env", "KAMAL_CONTAINER_NAME=app-web-v2", "--env", "KAMAL_HOST=h1", "--env", "KAMAL_ROLE=web",
                    "--env", "KAMAL_SERVICE=app", "--env", "KAMAL_VERSION=v2", "--env", "RAILS_ENV=production",
                    "--env-file", ENV_FILE,
                    "--log-opt", "max-size=10m",
                    "--label", "destination=", "--label", "role=web", "--label", "service=app", "--label", "team=core",
                    "registry.example.com/app:v2", "bin/rails", "server",
                ],
                preflight.deploy,
                preflight.remove,
            ]);
            assert.deepEqual(h1.unmatched, []);
            assert.equal(result.id, NEW_ID);
            const outs = result.outs as ContainerOutputs;
            assert.equal(outs.containerId, NEW_ID);
            assert.equal(outs.containerName, "app-web-v2");
            assert.ok(outs.healthyAt >= before && outs.healthyAt <= Date.now());
            assert.equal(outs.image, "registry.example.com/app:v2");
        });

        it("secrets travel only on stdin: never in any argv", async () => {
            const h1 = dockerHost("h1");
            use(h1);
            await containerProvider.create(inputs());
            for (const call of h1.calls) {
                for (const secret of ["hunter2", "sk-very-secret", "reg-pa55"]) {
                    assert.ok(!call.argv.join(" ").includes(secret), `${secret} in argv ${call.argv.join(" ")}`);
                }
            }
            // The registry user name too: some registries treat it as a secret.
            for (const call of h1.calls) assert.ok(!call.argv.some((a) => a.includes("bot")), `user name in argv ${call.argv.join(" ")}`);
            const written = JSON.parse(h1.find(isLoginWrite)[0].stdin!);
            assert.deepEqual(written, { auths: { "registry.example.com": { auth: Buffer.from("bot:reg-pa55").toString("base64") } } });
            assert.equal(h1.find((a) => a[4] === ".kamal/apps/app/env/roles/web.env")[0].stdin, "DATABASE_URL=postgres://app:hunter2@db/app\nSECRET_KEY_BASE=sk-very-secret\n");
            assert.ok(!stderr.lines.join("\n").includes("hunter2"));
        });

        it("without a registry: no login, and no pull when the image is present", async () => {
            const h1 = dockerHost("h1");
            use(h1);
            await containerProvider.create(inputs({ registry: undefined }));
            assert.deepEqual(h1.find(["docker", "image", "inspect"]).map((c) => c.argv), [
                docker.imageInspect("registry.example.com/app:v2"), kamal.imageConfig("registry.example.com/app:v2"),
            ]);
            assert.equal(h1.find(isLoginWrite).length + h1.find(isConfigRead).length, 0);
            assert.equal(h1.find(["docker", "pull"]).length, 0);
        });

        it("without a registry: pulls a missing image", async () => {
            const h1 = dockerHost("h1").on(["docker", "image", "inspect"], { code: 1 }, 1).on(["docker", "pull"], {});
            use(h1);
            await containerProvider.create(inputs({ registry: undefined }));
            assert.ok(h1.indexOf(["docker", "pull"]) > h1.indexOf(["docker", "image", "inspect"]));
        });

        it("creates the kamal network when missing, and tolerates losing the race to create it", async () => {
            const h1 = dockerHost("h1").on(["docker", "network", "inspect"], { code: 1 })
                .on(["docker", "network", "ls"], { stdout: `${hex("1")}\tkamal\t2024-01-01\n` })
                .on(["docker", "network", "ls"], { stdout: "" }, 1)
                .on(["docker", "network", "create"], { code: 1, stderr: "Error response from daemon: network with name kamal already exists" });
            use(h1);
            await containerProvider.create(inputs());
            assert.deepEqual(h1.find(["docker", "network", "create"]).map((c) => c.argv), [docker.networkCreate()]);
        });

        const nameInUse = { code: 125, stderr: `docker: Error response from daemon: Conflict. The container name "/app-web-v2" is already in use by container "${OLD_ID}".\n` };

        it("runs without looking first; a run that fails otherwise fails the create without retrying, its Created leftover looked up for removal", async () => {
            const h1 = dockerHost("h1").on(["docker", "run"], { code: 125, stderr: "docker: invalid reference format\n" });
            use(h1);
            await assert.rejects(containerProvider.create(inputs()), /invalid reference format/);
            assert.equal(h1.find(["docker", "run"]).length, 1);
            assert.equal(h1.find(inspecting("app-web-v2")).length, 1);
        });

        it("logs in, pulls and checks the network once per host for all roles of a deployment", async () => {
            const h1 = dockerHost("h1");
            use(h1);
            await Promise.all([containerProvider.create(inputs()), containerProvider.create(inputs({ role: "api" }))]);
            await containerProvider.create(inputs({ role: "jobs" }));
            assert.equal(h1.find(["docker", "run"]).length, 3);
            assert.equal(h1.find(isLoginWrite).length, 1);
            assert.equal(h1.find(["docker", "pull"]).length, 1);
            assert.equal(h1.find(["docker", "network", "inspect"]).length, 1);
            // Another image is another pull.
            await containerProvider.create(inputs({ role: "web2", image: "registry.example.com/app:v3" }));
            assert.equal(h1.find(["docker", "pull"]).length, 2);
        });

        it("a failed pull is not remembered: the next resource on the host pulls again", async () => {
            const h1 = dockerHost("h1").on(["docker", "pull"], { code: 1, stderr: "manifest unknown\n" }, 1);
            use(h1);
            await assert.rejects(containerProvider.create(inputs()), /manifest unknown/);
            await containerProvider.create(inputs({ role: "api" }));
            assert.equal(h1.find(["docker", "pull"]).length, 2);
        });

        it("removes a stopped leftover of the same name, then runs again", async () => {
            const h1 = dockerHost("h1").on(inspecting("app-web-v2"), { stdout: inspectOutput(OLD_ID, "app-web-v2", { running: false }) })
                .on(["docker", "run"], nameInUse, 1);
            use(h1);
            await containerProvider.create(inputs());
            const rm = h1.indexOf(["docker", "rm"]);
            assert.deepEqual(h1.calls[rm].argv, docker.remove(OLD_ID));
            const runs = h1.calls.flatMap((c, i) => (c.argv[1] === "run" ? [i] : []));
            assert.equal(runs.length, 2);
            assert.ok(runs[0] < rm && rm < runs[1]);
            assert.equal(h1.find(["docker", "rename"]).length, 0);
        });

        it("unhealthy: the container's secret env values never reach the error's log lines", async () => {
            const h1 = dockerHost("h1")
                .on([...PROXY_CLI, "deploy"], { code: 1, stderr: "Error: target failed to become healthy\n" })
                .on(["docker", "logs"], { stdout: "connecting to postgres://app:hunter2@db/app\n", stderr: "bad key sk-very-secret\n" });
            use(h1);
            await assert.rejects(containerProvider.create(inputs()), (e: Error) => {
                assert.ok(e.message.endsWith("--- last log lines ---\nconnecting to [secret]\nbad key [secret]"), e.message);
                assert.doesNotMatch(e.message, /hunter2|sk-very-secret/);
                return true;
            });
        });

        it("renames a running container of the same name aside (_replaced_) instead of killing it", async () => {
            const h1 = dockerHost("h1").on(inspecting("app-web-v2"), { stdout: inspectOutput(OLD_ID, "app-web-v2", { running: true }) })
                .on(["docker", "run"], nameInUse, 1);
            use(h1);
            await containerProvider.create(inputs());
            const [rename] = h1.find(["docker", "rename"]);
            assert.equal(rename.argv[2], OLD_ID);
            assert.match(rename.argv[3], /^app-web-v2_replaced_[0-9a-f]{8}$/);
            assert.ok(h1.calls.indexOf(rename) < h1.calls.map((c) => c.argv[1]).lastIndexOf("run"));
            assert.equal(h1.find(["docker", "rm"]).length, 0);
        });

        it("unhealthy: removes the preflight service, stops the container, and reports kamal-proxy's reason with the logs", async () => {
            const h1 = dockerHost("h1")
                .on([...PROXY_CLI, "deploy"], { code: 1, stderr: "Error: target failed to become healthy within configured timeout (30s)\n" })
                .on(["docker", "logs"], { stdout: "Booting puma\n", stderr: "ActiveRecord::ConnectionNotEstablished\n" });
            use(h1);
            await assert.rejects(containerProvider.create(inputs()), (e: Error) => {
                assert.ok(e instanceof UnhealthyError);
                assert.equal(e.message, [
                    "h1: container aaaaaaaaaaaa did not become healthy: Error: target failed to become healthy within configured timeout (30s)",
                    "--- last log lines ---",
                    "Booting puma",
                    "ActiveRecord::ConnectionNotEstablished",
                ].join("\n"));
                return true;
            });
            const labels = h1.calls.slice(h1.indexOf(["docker", "run"]) + 1).map((c) => c.argv.slice(0, 5).join(" "));
            assert.deepEqual(labels, [
                "docker exec kamal-proxy kamal-proxy deploy",
                "docker exec kamal-proxy kamal-proxy remove",
                "docker logs --tail 20 " + NEW_ID,
                "docker stop --time 1 " + NEW_ID,
            ]);
        });

        describe("roles without kamal-proxy: Docker's view of health", () => {
            const dockerHealth = { kind: "docker" as const, readinessDelay: 0, deployTimeout: 5 };

            it("without a healthcheck, checks once more when readinessDelay is over instead of polling meanwhile", async () => {
                const h1 = dockerHost("h1").on(inspecting(NEW_ID), { stdout: inspectOutput(NEW_ID, "app-web-v2", { running: true }) });
                use(h1);
                const t0 = Date.now();
                await containerProvider.create(inputs({ health: { kind: "docker", readinessDelay: 1, deployTimeout: 5 } }));
                assert.ok(Date.now() - t0 >= 1000);
                assert.equal(h1.find(inspecting(NEW_ID)).length, 2);
            });

            it("healthy once running past readinessDelay when the image has no healthcheck", async () => {
                const h1 = dockerHost("h1").on(inspecting(NEW_ID), { stdout: inspectOutput(NEW_ID, "app-web-v2", { running: true }) });
                use(h1);
                await containerProvider.create(inputs({ health: dockerHealth }));
                assert.equal(h1.find([...PROXY_CLI]).length, 0);
                assert.equal(h1.find(["docker", "stop"]).length, 0);
            });

            it("waits for Docker's healthcheck to pass", async () => {
                const h1 = dockerHost("h1")
                    .on(inspecting(NEW_ID), { stdout: inspectOutput(NEW_ID, "app-web-v2", { running: true, health: "healthy" }) })
                    .on(inspecting(NEW_ID), { stdout: inspectOutput(NEW_ID, "app-web-v2", { running: true, health: "starting" }) }, 1);
                use(h1);
                await containerProvider.create(inputs({ health: dockerHealth }));
                assert.equal(h1.find(inspecting(NEW_ID)).length, 2);
            });

            it("fails when Docker reports it unhealthy, or when it exits", async () => {
                for (const [state, reason] of [
                    [{ running: true, health: "unhealthy" }, "Docker reports it unhealthy"],
                    [{ running: false, status: "exited" }, "it is exited"],
                ] as const) {
                    const h1 = dockerHost("h1").on(inspecting(NEW_ID), { stdout: inspectOutput(NEW_ID, "app-web-v2", state) })
                        .on(["docker", "logs"], { stdout: "bye\n" });
                    use(h1);
                    await assert.rejects(containerProvider.create(inputs({ health: dockerHealth })),
                        { name: "UnhealthyError", message: `h1: container aaaaaaaaaaaa did not become healthy: ${reason}\n--- last log lines ---\nbye` });
                    assert.deepEqual(h1.calls.at(-1)!.argv, docker.stop(NEW_ID, 1));
                }
            });
        });
    });

    describe("check", () => {
        it("refuses hosts that are not names or addresses, images with whitespace, versions that are no Docker tag", async () => {
            const r = await containerProvider.check!({}, inputs({
                connection: connection("h1; rm -rf /"),
                image: "app:v1 --privileged",
                version: "v1/../x",
                secretEnv: { KEY: "line1\nline2" }, // Kamal's env file escapes it: accepted
            }));
            assert.deepEqual(r.failures!.map((f) => f.property), ["connection", "image", "version"]);
            assert.deepEqual((await containerProvider.check!({}, inputs())).failures, []);
        });

        it("checks an image known only at deploy time (an Output) as the config does: malformed references fail before any host", async () => {
            for (const image of ["Registry.example.com/App:v1", "app:", "-app", "app:v1:v2"]) {
                const r = await containerProvider.check!({}, inputs({ image }));
                assert.deepEqual(r.failures, [{ property: "image", reason: `image "${image}" is not a Docker image reference: use [registry[:port]/]name[:tag][@sha256:digest], lowercase name` }], image);
            }
            assert.deepEqual((await containerProvider.check!({}, inputs({ image: `172.17.0.1:5000/org/app@sha256:${"a".repeat(64)}` }))).failures, []);
        });

        it("the env file escapes line breaks as Kamal's writer does", () => {
            assert.equal(envFileContent({ A: "x\r\ny" }), "A=x\\r\\ny\n");
            assert.equal(envFileContent({ B: "2", A: "1 = one" }), "A=1 = one\nB=2\n");
        });
    });

    describe("diff", () => {
        const olds: ContainerOutputs = { ...inputs(), containerId: OLD_ID, containerName: "app-web-v2", healthyAt: 1 };

        it("no change, no diff", async () => {
            assert.deepEqual(await containerProvider.diff!(OLD_ID, olds, inputs()), { changes: false, replaces: [], deleteBeforeReplace: false });
        });

        it("replaces (create before delete) on image, env or secret env changes", async () => {
            const cases: [string, Partial<ContainerInputs>][] = [
                ["image", { image: "registry.example.com/app:v3" }],
                ["env", { env: { RAILS_ENV: "staging" } }],
                ["secretEnv", { secretEnv: { DATABASE_URL: "postgres://other" } }],
                ["version", { version: "v3" }],
                ["cmd", { cmd: ["bin/jobs"] }],
            ];
            for (const [key, over] of cases) {
                assert.deepEqual(await containerProvider.diff!(OLD_ID, olds, inputs(over)), { changes: true, replaces: [key], deleteBeforeReplace: false }, key);
            }
        });

        it("updates in place on connection, registry or health changes", async () => {
            for (const over of [
                { connection: { ...connection("h1"), port: 2222 } },
                { registry: { server: "registry.example.com", username: "bot", password: "rotated" } },
                { health: { kind: "docker" as const, readinessDelay: 1, deployTimeout: 9 } },
            ]) {
                assert.deepEqual(await containerProvider.diff!(OLD_ID, olds, inputs(over)), { changes: true, replaces: [], deleteBeforeReplace: false });
            }
        });

        it("update keeps the running container's identity", async () => {
            const r = await containerProvider.update!(OLD_ID, olds, inputs({ connection: { ...connection("h1"), port: 2222 } }));
            assert.equal(r.outs.containerId, OLD_ID);
            assert.equal(r.outs.healthyAt, 1);
            assert.equal(r.outs.connection.port, 2222);
        });
    });

    describe("read", () => {
        const olds: ContainerOutputs = { ...inputs(), containerId: OLD_ID, containerName: "app-web-v2", healthyAt: 1 };

        it("drops a container that is gone from the host", async () => {
            use(dockerHost("h1"));
            assert.deepEqual(await containerProvider.read!(OLD_ID, olds), { id: "", props: {} });
        });

        it("keeps one that exists, reporting it stopped", async () => {
            use(dockerHost("h1").on(inspecting(OLD_ID), { stdout: inspectOutput(OLD_ID, "app-web-v2", { running: false }) }));
            assert.deepEqual(await containerProvider.read!(OLD_ID, olds), { id: OLD_ID, props: { ...olds, drift: ["container app-web-v2 is exited"] } });
        });
    });

    describe("delete", () => {
        const olds: ContainerOutputs = { ...inputs(), containerId: OLD_ID, containerName: "app-web-v2", healthyAt: 1 };

        it("with a running successor: keeps the old container (for rollback), stopping it if still running", async () => {
            const h1 = dockerHost("h1")
                .on(["docker", "ps"], { stdout: [psLine(NEW_ID, "app-web-v3", "running", "2024-01-02 10:00:00"), psLine(OLD_ID, "app-web-v2", "running", "2024-01-01 10:00:00")].join("\n") })
                .on(inspecting(OLD_ID), { stdout: inspectOutput(OLD_ID, "app-web-v2", { running: true }) });
            use(h1);
            await containerProvider.delete!(OLD_ID, olds);
            assert.deepEqual(h1.calls.map((c) => c.argv), [docker.listRoleContainers("app", "web"), docker.stop(OLD_ID)]);
        });

        it("with a running successor and the old one already stopped: touches nothing", async () => {
            const h1 = dockerHost("h1")
                .on(["docker", "ps"], { stdout: [psLine(NEW_ID, "app-web-v3", "running", "2024-01-02 10:00:00"), psLine(OLD_ID, "app-web-v2", "exited", "2024-01-01 10:00:00")].join("\n") })
                .on(inspecting(OLD_ID), { stdout: inspectOutput(OLD_ID, "app-web-v2", { running: false }) });
            use(h1);
            await containerProvider.delete!(OLD_ID, olds);
            assert.equal(h1.find(["docker", "stop"]).length + h1.find(["docker", "rm"]).length + h1.find(["sh"]).length, 0);
        });

        it("without a successor (destroy): removes it, the role's retained containers, and the env file", async () => {
            const older = hex("c");
            const h1 = dockerHost("h1").on(["docker", "ps"], {
                stdout: [
                    psLine(older, "app-web-v1", "exited", "2024-01-01 09:00:00"),
                    psLine(OLD_ID, "app-web-v2", "running", "2024-01-01 10:00:00"),
                    psLine(hex("d"), "app-web-v2", "running", "2024-01-01 10:00:00", "staging"), // another destination: not ours
                ].join("\n"),
            });
            use(h1);
            await containerProvider.delete!(OLD_ID, olds);
            assert.deepEqual(h1.calls.map((c) => c.argv), [
                docker.listRoleContainers("app", "web"),
                docker.remove(OLD_ID, older),
                docker.removeFile(".kamal/apps/app/env/roles/web.env"),
            ]);
        });
    });
});

describe("releaseProvider", () => {
    const inputs = (over: Partial<ReleaseInputs> = {}): ReleaseInputs => ({
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
        const { id, outs } = await releaseProvider.create(inputs());
        assert.equal(id, "h1/app-web");
        assert.deepEqual(h1.calls.map((c) => c.argv), [
            proxy.deploy({ ...route, target: "aaaaaaaaaaaa:3000" }),
            docker.listRoleContainers("app", "web"),
            proxy.list(),
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
        await releaseProvider.create(inputs());
        assert.deepEqual(h1.find([...PROXY_CLI, "remove"]).map((c) => c.argv), [proxy.remove("app-web-preflight-cccccccccccc")]);
    });

    it("a role without kamal-proxy: no switch, only retirement", async () => {
        const h1 = dockerHost("h1").on(["docker", "ps"], { stdout: ps });
        use(h1);
        await releaseProvider.create(inputs({ proxy: undefined, retainContainers: 5, stopTimeout: undefined }));
        assert.deepEqual(h1.calls.map((c) => c.argv), [docker.listRoleContainers("app", "web"), docker.stop(A)]);
    });

    it("a failed switch stops nothing", async () => {
        const h1 = dockerHost("h1").on(["docker", "ps"], { stdout: ps }).on([...PROXY_CLI, "deploy"], { code: 1, stderr: "target failed to become healthy" });
        use(h1);
        await assert.rejects(releaseProvider.create(inputs()), CommandError);
        assert.equal(h1.calls.length, 1);
    });

    it("diff: a new container or new proxy settings redeploy", async () => {
        const olds = { ...inputs(), retired: [], switchedAt: 1 };
        assert.deepEqual(await releaseProvider.diff!("x", olds, inputs()), { changes: false });
        assert.deepEqual(await releaseProvider.diff!("x", olds, inputs({ containerId: OLD_ID })), { changes: true });
        assert.deepEqual(await releaseProvider.diff!("x", olds, inputs({ retainContainers: 3 })), { changes: true });
    });

    it("delete removes the kamal-proxy service, tolerating one already gone", async () => {
        const h1 = dockerHost("h1")
            .on(inspecting("kamal-proxy"), { stdout: inspectOutput(hex("e"), "kamal-proxy", { running: true }) })
            .on([...PROXY_CLI, "remove"], { code: 1, stderr: "Error: service not found" });
        use(h1);
        await releaseProvider.delete!("h1/app-web", { ...inputs(), retired: [], switchedAt: 1 });
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
            await releaseProvider.delete!("h1/app-web", { ...inputs(), retired: [], switchedAt: 1 });
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
                await releaseProvider.delete!("h1/app-web", { ...inputs(), retired: [], switchedAt: 1 });
                assert.deepEqual(h1.find([...PROXY_CLI, "remove"]).map((c) => c.argv), [proxy.remove("app-web")], target);
                uninstall?.();
            }
        });

        it("a stack's first switch names the containers it took over from another state or Kamal; later switches do not", async () => {
            const h1 = dockerHost("h1").on(["docker", "ps"], { stdout: ps });
            use(h1);
            const { outs } = await releaseProvider.create(inputs());
            assert.ok(stderr.lines.some((l) => l.startsWith("[web@h1] app-web-v2 ran without being in this stack's state")), stderr.lines.join("\n"));
            const lines = stderr.lines.length;
            await releaseProvider.update!("h1/app-web", outs, inputs());
            assert.ok(!stderr.lines.slice(lines).some((l) => l.includes("without being in this stack's state")));
        });
    });
});

describe("proxyProvider", () => {
    const inputs = { connection: connection("h1"), image: "basecamp/kamal-proxy:v0.9.2", httpPort: 80, httpsPort: 443 };

    it("starts kamal-proxy when absent and waits for it to answer", async () => {
        const h1 = dockerHost("h1").on([...PROXY_CLI, "list"], { code: 1, stderr: "not ready" }, 2);
        use(h1);
        const { id, outs } = await proxyProvider.create(inputs);
        assert.equal(id, "h1/kamal-proxy");
        assert.equal(outs.created, true);
        assert.deepEqual(h1.calls.map((c) => c.argv), [
            proxy.ensureAppsConfigDir(),
            docker.networkInspect(),
            docker.inspectContainer("kamal-proxy"),
            docker.imageInspect("basecamp/kamal-proxy:v0.9.2"),
            proxy.runProxy({ image: "basecamp/kamal-proxy:v0.9.2", httpPort: 80, httpsPort: 443, appsConfigDir: "/home/deploy/.kamal/proxy/apps-config" }),
            proxy.list(), proxy.list(), proxy.list(),
            proxy.inspectProxy(),
        ]);
    });

    it("adopts a running one, restarts a stopped one; neither counts as created", async () => {
        const running = dockerHost("h1").on(inspecting("kamal-proxy"), { stdout: inspectOutput(hex("e"), "kamal-proxy", { running: true }) });
        use(running);
        assert.equal((await proxyProvider.create(inputs)).outs.created, false);
        assert.equal(running.find(["docker", "run"]).length + running.find(["docker", "start"]).length, 0);

        const stopped = dockerHost("h1").on(inspecting("kamal-proxy"), { stdout: inspectOutput(hex("e"), "kamal-proxy", { running: false }) });
        use(stopped);
        assert.equal((await proxyProvider.create(inputs)).outs.created, false);
        assert.deepEqual(stopped.find(["docker", "start"]).map((c) => c.argv), [docker.start(hex("e"))]);
    });

    it("delete removes only a proxy it created that serves nothing", async () => {
        const withService = dockerHost("h1")
            .on(inspecting("kamal-proxy"), { stdout: inspectOutput(hex("e"), "kamal-proxy", { running: true }) })
            .on([...PROXY_CLI, "list"], { stdout: "Service Host Path Target State TLS\nother-web  x.com  /  abc:80  running  no\n" });
        use(withService);
        await proxyProvider.delete!("h1/kamal-proxy", { ...inputs, created: true } satisfies ProxyOutputs);
        assert.equal(withService.find(["docker", "rm"]).length, 0);

        const empty = dockerHost("h1").on(inspecting("kamal-proxy"), { stdout: inspectOutput(hex("e"), "kamal-proxy", { running: true }) });
        use(empty);
        await proxyProvider.delete!("h1/kamal-proxy", { ...inputs, created: true });
        assert.deepEqual(empty.find(["docker", "rm"]).map((c) => c.argv), [docker.remove("kamal-proxy")]);

        const adopted = dockerHost("h1");
        use(adopted);
        await proxyProvider.delete!("h1/kamal-proxy", { ...inputs, created: false });
        assert.equal(adopted.calls.length, 0);
    });
});

describe("hookProvider", () => {
    const ID1 = hex("1");
    const ID2 = hex("2");
    const PREV1 = hex("5");
    const PREV2 = hex("6");
    const HEALTHY_AT = Date.now() - 50;
    const target = (host: string, id: string): HookTarget => ({ connection: connection(host), containerId: id, containerName: "app-web-v2", healthyAt: HEALTHY_AT });
    const inputs = (over: Partial<HookInputs> = {}): HookInputs => ({
        service: "app",
        role: "web",
        version: "v2",
        command: "bin/rails db:migrate",
        when: "before-traffic",
        runOn: "primary",
        timeout: 120,
        env: { FOO: "bar" },
        targets: [target("h1", ID1), target("h2", ID2)],
        runsOn: ["h1"],
        health: { kind: "proxy", target: route, appPort: 3000 },
        proxy: { ...route, appPort: 3000 },
        ...over,
    });
    const isHook = (argv: string[]) => argv[1] === "exec" && argv.includes("bin/rails db:migrate");
    const isKill = (argv: string[]) => argv[1] === "exec" && argv.some((a) => a.includes("/proc/[0-9]*"));
    const hookIdOf = (argv: string[]) => argv.find((a) => a.startsWith("KAMAL_HOOK_ID="))!.slice("KAMAL_HOOK_ID=".length);
    const isFind = (argv: string[]) => argv[0] === "sh" && argv.at(-1)!.includes("KAMAL_HOOK_ID=");

    /** A host whose new container runs, with no hook left running, and whose hook prints two lines. */
    const hookHost = (name: string, id: string, log?: Call[]) => dockerHost(name, log)
        .on(inspecting(id), { stdout: inspectOutput(id, "app-web-v2", { running: true }) })
        .on(isFind, {})
        .on(isHook, { stdout: "== migrating ==\ndone\n" });

    describe("secrets in the hook's output", () => {
        const redact = ["postgres://app:hunter2@db/app", "tok-123456"];
        const leaky = "== connecting to postgres://app:hunter2@db/app ==\ntoken tok-123456\n";

        it("are masked in the live lines and the kept output tail", async () => {
            const h1 = hookHost("h1", ID1).on(isHook, { stdout: leaky });
            use(h1);
            const { outs } = await hookProvider.create(inputs({ targets: [target("h1", ID1)], redact }));
            assert.equal((outs as HookOutputs).runs[0].outputTail, "== connecting to [secret] ==\ntoken [secret]");
            assert.ok(stderr.lines.includes("[web@h1 post-app-boot] token [secret]"), stderr.lines.join("\n"));
            assert.doesNotMatch(stderr.lines.join("\n"), /hunter2|tok-123456/);
        });

        it("are masked in the error of a failed hook", async () => {
            use(hookHost("h1", ID1).on(isHook, { code: 3, stderr: leaky }));
            await assert.rejects(hookProvider.create(inputs({ targets: [target("h1", ID1)], redact })), (e: Error) => {
                assert.ok(e instanceof HookFailedError);
                assert.match(e.message, /--- hook output \(last lines\) ---\n== connecting to \[secret\] ==\ntoken \[secret\]$/);
                assert.doesNotMatch(e.message, /hunter2|tok-123456/);
                return true;
            });
        });
    });

    describe("before-traffic", () => {
        it("runs the hook once (primary) by docker exec in the new container, with KAMAL_* env and the timeout", async () => {
            const h1 = hookHost("h1", ID1);
            const h2 = hookHost("h2", ID2);
            use(h1, h2);
            const { id, outs } = await hookProvider.create(inputs());
            assert.match(id, /^app-web-post-app-boot-[0-9a-f]{8}$/);
            assert.equal(h2.calls.length, 0);
            assert.deepEqual(h1.calls.map((c) => c.argv.slice(0, 3)), [["docker", "container", "inspect"], hooks.findHooks("app", "web").slice(0, 3), ["docker", "exec", "--env"]]);
            const [exec] = h1.find(isHook);
            const hookId = hookIdOf(exec.argv);
            assert.match(hookId, /^[0-9a-f-]{36}$/);
            assert.deepEqual(exec.argv, hooks.runHook(ID1, "bin/rails db:migrate", {
                FOO: "bar",
                KAMAL_SERVICE: "app",
                KAMAL_ROLE: "web",
                KAMAL_HOST: "h1",
                KAMAL_VERSION: "v2",
                KAMAL_CONTAINER_NAME: "app-web-v2",
            }, hookId));
            assert.equal(exec.timeoutMs, 120_000);
            const runs = (outs as HookOutputs).runs;
            assert.equal(runs.length, 1);
            assert.equal(runs[0].host, "h1");
            assert.equal(runs[0].container, "app-web-v2");
            assert.equal(runs[0].exitCode, 0);
            assert.equal(runs[0].outputTail, "== migrating ==\ndone");
            assert.ok(runs[0].healthyToStartMs >= 50);
            assert.ok(stderr.lines.includes("[web@h1 post-app-boot] == migrating =="));
            assert.ok(stderr.lines.includes("[web@h1 post-app-boot] done"));
        });

        it("runOn all: once on every host, each with its own KAMAL_HOST", async () => {
            const h1 = hookHost("h1", ID1);
            const h2 = hookHost("h2", ID2);
            use(h1, h2);
            const { outs } = await hookProvider.create(inputs({ runOn: "all", destination: "staging" }));
            assert.deepEqual((outs as HookOutputs).runs.map((r) => r.host), ["h1", "h2"]);
            for (const [h, id] of [[h1, ID1], [h2, ID2]] as const) {
                const [exec] = h.find(isHook);
                assert.ok(exec.argv.includes(`KAMAL_HOST=${h.host}`));
                assert.ok(exec.argv.includes("KAMAL_DESTINATION=staging"));
                assert.equal(exec.argv[exec.argv.indexOf("sh") - 1], id);
            }
        });

        it("a non-zero exit fails with the exit code and the output's last lines, and stops the container", async () => {
            const h1 = hookHost("h1", ID1).on(isHook, { code: 3, stdout: "step 1\n", stderr: "PG::ConnectionBad\n" });
            use(h1, hookHost("h2", ID2));
            await assert.rejects(hookProvider.create(inputs()), (e: Error) => {
                assert.ok(e instanceof HookFailedError);
                assert.equal(e.role, "web");
                assert.equal(e.host, "h1");
                assert.match(e.detail, /^exit 3 after \d+\.\ds$/);
                assert.equal(e.output, "step 1\nPG::ConnectionBad");
                assert.match(e.message, /^post-app-boot hook of role "web" failed on h1: exit 3 after \d+\.\ds\n--- hook output \(last lines\) ---\nstep 1\nPG::ConnectionBad$/);
                return true;
            });
            assert.deepEqual(h1.calls.at(-1)!.argv, docker.stop(ID1, 10));
        });

        it("after-traffic: a failure leaves the (already serving) container running", async () => {
            const h1 = hookHost("h1", ID1).on(isHook, { code: 1 });
            use(h1);
            await assert.rejects(hookProvider.create(inputs({ when: "after-traffic", targets: [target("h1", ID1)] })), HookFailedError);
            assert.equal(h1.find(["docker", "stop"]).length, 0);
        });

        it("a timeout kills the hook's processes in the container by KAMAL_HOOK_ID, then fails with its output", async () => {
            const h1 = hookHost("h1", ID1)
                .on(isHook, (_argv, options) => {
                    options.onStdout?.("still migrating\n");
                    throw new TransportError("h1", "timed out after 120s");
                })
                .on(isKill, {});
            use(h1);
            await assert.rejects(hookProvider.create(inputs({ targets: [target("h1", ID1)] })), {
                name: "HookFailedError",
                message: 'post-app-boot hook of role "web" failed on h1: timed out after 120s\n--- hook output (last lines) ---\nstill migrating',
            });
            const hookId = hookIdOf(h1.find(isHook)[0].argv);
            const [kill] = h1.find(isKill);
            assert.deepEqual(kill.argv, hooks.killHook(ID1, hookId));
            assert.equal(kill.timeoutMs, 15_000);
            assert.deepEqual(h1.calls.at(-1)!.argv, docker.stop(ID1, 10));
        });

        it("a retry finds the container stopped by the failed attempt: starts it and checks health first", async () => {
            const h1 = hookHost("h1", ID1).on(inspecting(ID1), { stdout: inspectOutput(ID1, "app-web-v2", { running: false }) });
            use(h1);
            await hookProvider.create(inputs({ targets: [target("h1", ID1)] }));
            const preflight = proxy.preflight({ ...route, target: "111111111111:3000" }, "111111111111");
            assert.deepEqual(h1.calls.map((c) => c.argv).slice(0, 4), [docker.inspectContainer(ID1), docker.start(ID1), preflight.deploy, preflight.remove]);
            assert.equal(h1.find(isHook).length, 1);
        });

        it("a hook still running from an earlier deploy is stopped (TERM) before the new one starts: never two at once", async () => {
            const h1 = hookHost("h1", ID1).on(isFind, { stdout: `${OLD_ID} old-hook-id\n` }, 1).on(isKill, {});
            use(h1);
            await hookProvider.create(inputs({ targets: [target("h1", ID1)] }));
            const order = h1.calls.map((c) => (isFind(c.argv) ? "find" : isKill(c.argv) ? "kill" : isHook(c.argv) ? "hook" : "other")).filter((x) => x !== "other");
            assert.deepEqual(order, ["find", "kill", "find", "hook"]);
            assert.deepEqual(h1.find(isKill)[0].argv, hooks.killHook(OLD_ID, "old-hook-id", "TERM"));
            assert.ok(stderr.lines.some((l) => /a hook from an earlier deploy still runs \(bbbbbbbbbbbb KAMAL_HOOK_ID=old-hook-id\): sending TERM/.test(l)));
        });

        it("a hook from an earlier deploy that survives KILL refuses the deploy, naming the container and the fix", async () => {
            const h1 = hookHost("h1", ID1).on(isFind, { stdout: `${OLD_ID} old-hook-id\n` }).on(isKill, {});
            await assert.rejects(stopStrayHooks(h1, { service: "app", role: "web" }, 20),
                /h1: a post-app-boot hook from an earlier deploy still runs in container bbbbbbbbbbbb \(KAMAL_HOOK_ID=old-hook-id\) and did not stop on KILL; stop that container \(`docker stop bbbbbbbbbbbb`\)/);
            assert.deepEqual(h1.find(isKill).map((c) => c.argv), [hooks.killHook(OLD_ID, "old-hook-id", "TERM"), hooks.killHook(OLD_ID, "old-hook-id", "KILL")]);
            assert.equal(h1.find(isHook).length, 0);
        });

        it("a container gone from the host is an error that says how to recover", async () => {
            use(dockerHost("h1"));
            await assert.rejects(hookProvider.create(inputs({ targets: [target("h1", ID1)] })), /h1: container app-web-v2 is gone; run `pulumi refresh` then `pulumi up`/);
        });
    });

    describe("diff and update", () => {
        const olds: HookOutputs = { ...inputs(), runs: [{ host: "h1", container: "app-web-v2", exitCode: 0, durationMs: 1, healthyToStartMs: 1, startedAt: 1, outputTail: "" }] };

        it("nothing changed: no diff", async () => {
            assert.deepEqual(await hookProvider.diff!("x", olds, inputs()), { changes: false, replaces: [] });
        });

        it("a changed command, env, version or target re-runs the hook (replace)", async () => {
            assert.deepEqual(await hookProvider.diff!("x", olds, inputs({ command: "bin/rails db:seed" })), { changes: true, replaces: ["command"] });
            assert.deepEqual(await hookProvider.diff!("x", olds, inputs({ env: {} })), { changes: true, replaces: ["env"] });
            assert.deepEqual(await hookProvider.diff!("x", olds, inputs({ version: "v3" })), { changes: true, replaces: ["version"] });
            assert.deepEqual(await hookProvider.diff!("x", olds, inputs({ targets: [target("h1", hex("7"))] })), { changes: true, replaces: ["targets"] });
        });

        it("new SSH settings (key, user, port, known_hosts, pins, jump host) are an update that stores them, never a re-run", async () => {
            const rotated = (t: HookTarget): HookTarget => ({
                ...t,
                connection: { ...t.connection, user: "deploy2", port: 2222, privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nnew\n", knownHosts: "/etc/ssh/other_known_hosts", hostKeys: { h1: "SHA256:x" }, proxy: "jump@bastion" },
            });
            const news = inputs({ targets: olds.targets.map(rotated) });
            assert.deepEqual(await hookProvider.diff!("x", olds, news), { changes: true, replaces: [] });
            const { outs } = await hookProvider.update!("x", olds, news);
            assert.deepEqual(outs.targets, news.targets);
            assert.deepEqual(outs.runs, olds.runs);
        });

        it("a new host or a new container re-runs the hook even when the SSH settings changed with it", async () => {
            const withKey = (t: HookTarget): HookTarget => ({ ...t, connection: { ...t.connection, privateKey: "new key" } });
            assert.deepEqual(await hookProvider.diff!("x", olds, inputs({ targets: [...olds.targets, target("h3", hex("3"))].map(withKey) })), { changes: true, replaces: ["targets"] });
            assert.deepEqual(await hookProvider.diff!("x", olds, inputs({ targets: [withKey(target("h1", hex("7")))] })), { changes: true, replaces: ["targets"] });
            assert.deepEqual(await hookProvider.diff!("x", olds, inputs({ targets: [withKey(target("h9", olds.targets[0].containerId))] })), { changes: true, replaces: ["targets"] });
        });

        it("in preview, targets not known yet (their containers update in place) are an update; a changed command still re-runs", async () => {
            const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9" as unknown as HookTarget[];
            assert.deepEqual(await hookProvider.diff!("x", olds, inputs({ targets: unknown })), { changes: true, replaces: [] });
            assert.deepEqual(await hookProvider.diff!("x", olds, inputs({ targets: unknown, command: "bin/other" })), { changes: true, replaces: ["command"] });
        });

        it("a changed timeout or when is an update, not a re-run", async () => {
            assert.deepEqual(await hookProvider.diff!("x", olds, inputs({ timeout: 600 })), { changes: true, replaces: [] });
            assert.deepEqual(await hookProvider.diff!("x", olds, inputs({ when: "after-traffic" })), { changes: true, replaces: [] });
            const { outs } = await hookProvider.update!("x", olds, inputs({ timeout: 600 }));
            assert.equal(outs.timeout, 600);
            assert.deepEqual(outs.runs, olds.runs);
        });
    });
});

describe("providerStub (what state stores)", () => {
    it("loads the installed package's provider by kind at run time and delegates to it", async () => {
        // Resolves `pulumi-kamal/provider` from the cwd: this repository, through its own package exports.
        const stub = providerStub("Release");
        const olds = { connection: connection("h1"), service: "app", role: "web", containerId: NEW_ID, containerName: "n", retainContainers: 5, retired: [], switchedAt: 1 };
        assert.deepEqual(await stub.diff!("x", olds, { ...olds, containerId: OLD_ID }), { changes: true });
        assert.deepEqual(await stub.diff!("x", olds, olds), { changes: false });
        // providers without check: the stub passes inputs through
        assert.deepEqual(await stub.check!({}, { a: 1 }), { inputs: { a: 1 } });
    });
});

describe("run (require exit 0)", () => {
    it("returns stdout, or throws a CommandError naming host, command, exit code and stderr's tail", async () => {
        const h = new FakeHost("h1").on(["docker", "pull"], { code: 1, stderr: "a\nb\nc\nd\ne\nf\nmanifest unknown\n" }).on(["true"], { stdout: "ok" });
        assert.equal(await run(h, ["true"]), "ok");
        await assert.rejects(run(h, ["docker", "pull", "registry.example.com/app:v9"]), {
            name: "CommandError",
            message: "h1: `docker pull registry.example.com/app:v9` exited 1: c\nd\ne\nf\nmanifest unknown",
        });
        await assert.rejects(run(h, docker.listRoleContainers("app", "web")), { message: /^h1: `docker ps --all --no-trunc \.\.\.` exited 127: / });
    });
});

describe("LocalTransport (real processes)", function () {
    this.timeout(10_000);
    const local = new LocalTransport();

    it("runs argv without a shell, feeds stdin, returns exit code and both streams", async () => {
        const r = await local.exec(["sh", "-c", 'cat; echo "to stderr" >&2; exit 3'], { stdin: "secret via stdin" });
        assert.deepEqual(r, { code: 3, stdout: "secret via stdin", stderr: "to stderr\n" });
        const literal = await local.exec(["echo", "$(id)", "`id`", "*"]);
        assert.equal(literal.stdout, "$(id) `id` *\n");
    });

    it("streams output as it comes", async () => {
        const chunks: string[] = [];
        await local.exec(["sh", "-c", "echo one; echo two >&2"], { onStdout: (t) => chunks.push(`out:${t}`), onStderr: (t) => chunks.push(`err:${t}`) });
        assert.deepEqual(chunks.sort(), ["err:two\n", "out:one\n"]);
    });

    it("kills the command at the timeout and fails", async () => {
        const start = Date.now();
        await assert.rejects(local.exec(["sleep", "5"], { timeoutMs: 200 }), { name: "TransportError", message: "localhost: timed out after 0.2s while running `sleep 5`" });
        assert.ok(Date.now() - start < 2000);
    });

    it("an abort signal interrupts it", async () => {
        const ac = new AbortController();
        setTimeout(() => ac.abort(), 100);
        await assert.rejects(local.exec(["sleep", "5"], { signal: ac.signal }), { message: "localhost: interrupted" });
    });

    it("a missing program is a TransportError", async () => {
        await assert.rejects(local.exec(["definitely-not-a-program-kamal"]), { name: "TransportError", message: /^localhost: cannot run definitely-not-a-program-kamal: / });
    });
});
