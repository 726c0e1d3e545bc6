/**
 * RoleContainer's provider against fake hosts: the boot sequence's exact commands and
 * order, where secrets travel, health failures, diff, read and delete.
 */
import assert from "node:assert/strict";
import * as docker from "../../provider/commands/docker";
import * as kamal from "../../provider/commands/kamal";
import * as proxy from "../../provider/commands/proxy";
import * as registryCmd from "../../provider/commands/registry";
import { envFileContent, UnhealthyError } from "../../provider/effects/containers";
import { RoleContainerInputs, RoleContainerOutputs, roleContainerProvider } from "../../provider/resources/role-container";
import { connection, inspectOutput } from "./fakes";
import { dockerHost, hex, inspecting, isConfigRead, isLoginWrite, NEW_ID, OLD_ID, PROXY_CLI, roleInputs, route, stderr, uninstallHosts, use, withFakeHosts } from "./provider-hosts";

describe("roleContainerProvider", () => {
    withFakeHosts();

    const inputs = roleInputs;
    const ENV_FILE = "/home/deploy/.kamal/apps/app/env/roles/web.env";

    describe("create", () => {
        it("network, login+pull, env file, run, then kamal-proxy's health check on a throwaway service, in that order", async () => {
            const h1 = dockerHost("h1");
            use(h1);
            const before = Date.now();
            const result = await roleContainerProvider.create(inputs());
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
            const outs = result.outs as RoleContainerOutputs;
            assert.equal(outs.containerId, NEW_ID);
            assert.equal(outs.containerName, "app-web-v2");
            assert.ok(outs.healthyAt >= before && outs.healthyAt <= Date.now());
            assert.equal(outs.image, "registry.example.com/app:v2");
        });

        it("secrets travel only on stdin: never in any argv", async () => {
            const h1 = dockerHost("h1");
            use(h1);
            await roleContainerProvider.create(inputs());
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
            await roleContainerProvider.create(inputs({ registry: undefined }));
            assert.deepEqual(h1.find(["docker", "image", "inspect"]).map((c) => c.argv), [
                docker.imageInspect("registry.example.com/app:v2"), kamal.imageConfig("registry.example.com/app:v2"),
            ]);
            assert.equal(h1.find(isLoginWrite).length + h1.find(isConfigRead).length, 0);
            assert.equal(h1.find(["docker", "pull"]).length, 0);
        });

        it("without a registry: pulls a missing image", async () => {
            const h1 = dockerHost("h1").on(["docker", "image", "inspect"], { code: 1 }, 1).on(["docker", "pull"], {});
            use(h1);
            await roleContainerProvider.create(inputs({ registry: undefined }));
            assert.ok(h1.indexOf(["docker", "pull"]) > h1.indexOf(["docker", "image", "inspect"]));
        });

        it("creates the kamal network when missing, and tolerates losing the race to create it", async () => {
            const h1 = dockerHost("h1").on(["docker", "network", "inspect"], { code: 1 })
                .on(["docker", "network", "ls"], { stdout: `${hex("1")}\tkamal\t2024-01-01\n` })
                .on(["docker", "network", "ls"], { stdout: "" }, 1)
                .on(["docker", "network", "create"], { code: 1, stderr: "Error response from daemon: network with name kamal already exists" });
            use(h1);
            await roleContainerProvider.create(inputs());
            assert.deepEqual(h1.find(["docker", "network", "create"]).map((c) => c.argv), [docker.networkCreate()]);
        });

        const nameInUse = { code: 125, stderr: `docker: Error response from daemon: Conflict. The container name "/app-web-v2" is already in use by container "${OLD_ID}".\n` };

        it("runs without looking first; a run that fails otherwise fails the create without retrying, its Created leftover looked up for removal", async () => {
            const h1 = dockerHost("h1").on(["docker", "run"], { code: 125, stderr: "docker: invalid reference format\n" });
            use(h1);
            await assert.rejects(roleContainerProvider.create(inputs()), /invalid reference format/);
            assert.equal(h1.find(["docker", "run"]).length, 1);
            assert.equal(h1.find(inspecting("app-web-v2")).length, 1);
        });

        it("logs in, pulls and checks the network once per host for all roles of a deployment", async () => {
            const h1 = dockerHost("h1");
            use(h1);
            await Promise.all([roleContainerProvider.create(inputs()), roleContainerProvider.create(inputs({ role: "api" }))]);
            await roleContainerProvider.create(inputs({ role: "jobs" }));
            assert.equal(h1.find(["docker", "run"]).length, 3);
            assert.equal(h1.find(isLoginWrite).length, 1);
            assert.equal(h1.find(["docker", "pull"]).length, 1);
            assert.equal(h1.find(["docker", "network", "inspect"]).length, 1);
            // Another image is another pull.
            await roleContainerProvider.create(inputs({ role: "web2", image: "registry.example.com/app:v3" }));
            assert.equal(h1.find(["docker", "pull"]).length, 2);
        });

        it("a failed pull is not remembered: the next resource on the host pulls again", async () => {
            const h1 = dockerHost("h1").on(["docker", "pull"], { code: 1, stderr: "manifest unknown\n" }, 1);
            use(h1);
            await assert.rejects(roleContainerProvider.create(inputs()), /manifest unknown/);
            await roleContainerProvider.create(inputs({ role: "api" }));
            assert.equal(h1.find(["docker", "pull"]).length, 2);
        });

        it("removes a stopped leftover of the same name, then runs again", async () => {
            const h1 = dockerHost("h1").on(inspecting("app-web-v2"), { stdout: inspectOutput(OLD_ID, "app-web-v2", { running: false }) })
                .on(["docker", "run"], nameInUse, 1);
            use(h1);
            await roleContainerProvider.create(inputs());
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
            await assert.rejects(roleContainerProvider.create(inputs()), (e: Error) => {
                assert.ok(e.message.endsWith("--- last log lines ---\nconnecting to [secret]\nbad key [secret]"), e.message);
                assert.doesNotMatch(e.message, /hunter2|sk-very-secret/);
                return true;
            });
        });

        it("renames a running container of the same name aside (_replaced_) instead of killing it", async () => {
            const h1 = dockerHost("h1").on(inspecting("app-web-v2"), { stdout: inspectOutput(OLD_ID, "app-web-v2", { running: true }) })
                .on(["docker", "run"], nameInUse, 1);
            use(h1);
            await roleContainerProvider.create(inputs());
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
            await assert.rejects(roleContainerProvider.create(inputs()), (e: Error) => {
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
                await roleContainerProvider.create(inputs({ health: { kind: "docker", readinessDelay: 1, deployTimeout: 5 } }));
                assert.ok(Date.now() - t0 >= 1000);
                assert.equal(h1.find(inspecting(NEW_ID)).length, 2);
            });

            it("healthy once running past readinessDelay when the image has no healthcheck", async () => {
                const h1 = dockerHost("h1").on(inspecting(NEW_ID), { stdout: inspectOutput(NEW_ID, "app-web-v2", { running: true }) });
                use(h1);
                await roleContainerProvider.create(inputs({ health: dockerHealth }));
                assert.equal(h1.find([...PROXY_CLI]).length, 0);
                assert.equal(h1.find(["docker", "stop"]).length, 0);
            });

            it("waits for Docker's healthcheck to pass", async () => {
                const h1 = dockerHost("h1")
                    .on(inspecting(NEW_ID), { stdout: inspectOutput(NEW_ID, "app-web-v2", { running: true, health: "healthy" }) })
                    .on(inspecting(NEW_ID), { stdout: inspectOutput(NEW_ID, "app-web-v2", { running: true, health: "starting" }) }, 1);
                use(h1);
                await roleContainerProvider.create(inputs({ health: dockerHealth }));
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
                    await assert.rejects(roleContainerProvider.create(inputs({ health: dockerHealth })),
                        { name: "UnhealthyError", message: `h1: container aaaaaaaaaaaa did not become healthy: ${reason}\n--- last log lines ---\nbye` });
                    assert.deepEqual(h1.calls.at(-1)!.argv, docker.stop(NEW_ID, 1));
                }
            });
        });
    });

    describe("check", () => {
        it("refuses hosts that are not names or addresses, images with whitespace, versions that are no Docker tag", async () => {
            const r = await roleContainerProvider.check!({}, inputs({
                connection: connection("h1; rm -rf /"),
                image: "app:v1 --privileged",
                version: "v1/../x",
                secretEnv: { KEY: "line1\nline2" }, // Kamal's env file escapes it: accepted
            }));
            assert.deepEqual(r.failures!.map((f) => f.property), ["connection", "image", "version"]);
            assert.deepEqual((await roleContainerProvider.check!({}, inputs())).failures, []);
        });

        it("checks an image known only at deploy time (an Output) as the config does: malformed references fail before any host", async () => {
            for (const image of ["Registry.example.com/App:v1", "app:", "-app", "app:v1:v2"]) {
                const r = await roleContainerProvider.check!({}, inputs({ image }));
                assert.deepEqual(r.failures, [{ property: "image", reason: `image "${image}" is not a Docker image reference: use [registry[:port]/]name[:tag][@sha256:digest], lowercase name` }], image);
            }
            assert.deepEqual((await roleContainerProvider.check!({}, inputs({ image: `172.17.0.1:5000/org/app@sha256:${"a".repeat(64)}` }))).failures, []);
        });

        it("the env file escapes line breaks as Kamal's writer does", () => {
            assert.equal(envFileContent({ A: "x\r\ny" }), "A=x\\r\\ny\n");
            assert.equal(envFileContent({ B: "2", A: "1 = one" }), "A=1 = one\nB=2\n");
        });
    });

    describe("diff", () => {
        const olds: RoleContainerOutputs = { ...inputs(), containerId: OLD_ID, containerName: "app-web-v2", healthyAt: 1 };

        it("no change, no diff", async () => {
            assert.deepEqual(await roleContainerProvider.diff!(OLD_ID, olds, inputs()), { changes: false, replaces: [], deleteBeforeReplace: false });
        });

        it("replaces (create before delete) on image, env or secret env changes", async () => {
            const cases: [string, Partial<RoleContainerInputs>][] = [
                ["image", { image: "registry.example.com/app:v3" }],
                ["env", { env: { RAILS_ENV: "staging" } }],
                ["secretEnv", { secretEnv: { DATABASE_URL: "postgres://other" } }],
                ["version", { version: "v3" }],
                ["cmd", { cmd: ["bin/jobs"] }],
            ];
            for (const [key, over] of cases) {
                assert.deepEqual(await roleContainerProvider.diff!(OLD_ID, olds, inputs(over)), { changes: true, replaces: [key], deleteBeforeReplace: false }, key);
            }
        });

        it("updates in place on connection, registry or health changes", async () => {
            for (const over of [
                { connection: { ...connection("h1"), port: 2222 } },
                { registry: { server: "registry.example.com", username: "bot", password: "rotated" } },
                { health: { kind: "docker" as const, readinessDelay: 1, deployTimeout: 9 } },
            ]) {
                assert.deepEqual(await roleContainerProvider.diff!(OLD_ID, olds, inputs(over)), { changes: true, replaces: [], deleteBeforeReplace: false });
            }
        });

        it("update keeps the running container's identity", async () => {
            const r = await roleContainerProvider.update!(OLD_ID, olds, inputs({ connection: { ...connection("h1"), port: 2222 } }));
            assert.equal(r.outs.containerId, OLD_ID);
            assert.equal(r.outs.healthyAt, 1);
            assert.equal(r.outs.connection.port, 2222);
        });
    });

    describe("held by another role's paused hook (startAfterHook)", () => {
        const worker = { role: "worker", health: { kind: "docker" as const, readinessDelay: 0, deployTimeout: 5 }, startAfterHook: true };

        it("is created exactly as it would run, but not started, and no health check runs before its hook", async () => {
            const h1 = dockerHost("h1").on(["docker", "create"], { stdout: `${NEW_ID}\n` });
            use(h1);
            const { outs } = await roleContainerProvider.create(inputs(worker));
            const [created] = h1.find(["docker", "create"]).map((c) => c.argv);
            assert.deepEqual(created.slice(0, 6), ["docker", "create", "--restart", "unless-stopped", "--name", "app-worker-v2"]);
            assert.ok(created.includes("--env-file") && !created.includes("--detach"), created.join(" "));
            assert.equal(h1.find(["docker", "run"]).length + h1.find(["docker", "start"]).length + h1.find(["docker", "container", "inspect"]).length, 0);
            assert.equal((outs as RoleContainerOutputs).containerId, NEW_ID);
            assert.ok(stderr.lines.some((l) => /app-worker-v2 created; it starts once the hook holding it has run/.test(l)), stderr.lines.join(""));
        });

        it("no longer held (holds changed after a failed deploy): the waiting container is started in place", async () => {
            const olds: RoleContainerOutputs = { ...inputs(worker), containerId: OLD_ID, containerName: "app-worker-v2", healthyAt: 1 };
            const states = [{ running: false, status: "created" }, { running: true }];
            const h1 = dockerHost("h1").on(inspecting(OLD_ID), () => ({ stdout: inspectOutput(OLD_ID, "app-worker-v2", states.length > 1 ? states.shift()! : states[0]) }));
            use(h1);
            const { outs } = await roleContainerProvider.update!(OLD_ID, olds, inputs({ ...worker, startAfterHook: undefined }));
            assert.deepEqual(h1.find(["docker", "start"]).map((c) => c.argv), [docker.start(OLD_ID)]);
            assert.equal(outs.containerId, OLD_ID);
            assert.equal((await roleContainerProvider.diff!(OLD_ID, olds, inputs({ ...worker, startAfterHook: undefined }))).changes, true);
        });

        it("refresh: created and waiting is no drift; exited is", async () => {
            const olds: RoleContainerOutputs = { ...inputs(worker), containerId: OLD_ID, containerName: "app-worker-v2", healthyAt: 1 };
            use(dockerHost("h1").on(inspecting(OLD_ID), { stdout: inspectOutput(OLD_ID, "app-worker-v2", { running: false, status: "created" }) }));
            assert.deepEqual((await roleContainerProvider.read!(OLD_ID, olds)).props.drift, []);
            uninstallHosts();
            use(dockerHost("h1").on(inspecting(OLD_ID), { stdout: inspectOutput(OLD_ID, "app-worker-v2", { running: false }) }));
            assert.deepEqual((await roleContainerProvider.read!(OLD_ID, olds)).props.drift, ["container app-worker-v2 is exited"]);
            uninstallHosts();
            use(dockerHost("h1").on(inspecting(OLD_ID), { stdout: inspectOutput(OLD_ID, "app-worker-v2", { running: false, status: "created" }) }));
            const unheld = { ...olds, startAfterHook: undefined };
            assert.deepEqual((await roleContainerProvider.read!(OLD_ID, unheld)).props.drift, ["container app-worker-v2 is created"]);
        });
    });

    describe("read", () => {
        const olds: RoleContainerOutputs = { ...inputs(), containerId: OLD_ID, containerName: "app-web-v2", healthyAt: 1 };

        it("drops a container that is gone from the host", async () => {
            use(dockerHost("h1"));
            assert.deepEqual(await roleContainerProvider.read!(OLD_ID, olds), { id: "", props: {} });
        });

        it("keeps one that exists, reporting it stopped", async () => {
            use(dockerHost("h1").on(inspecting(OLD_ID), { stdout: inspectOutput(OLD_ID, "app-web-v2", { running: false }) }));
            assert.deepEqual(await roleContainerProvider.read!(OLD_ID, olds), { id: OLD_ID, props: { ...olds, drift: ["container app-web-v2 is exited"] } });
        });
    });
});
