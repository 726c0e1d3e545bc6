/**
 * RoleHook's provider against fake hosts: the hook's exec and env, timeouts,
 * masking, stray hooks, and when it re-runs.
 */
import assert from "node:assert/strict";
import * as docker from "../../provider/commands/docker";
import * as hooks from "../../provider/commands/hook";
import * as proxy from "../../provider/commands/proxy";
import { HookFailedError, stopStrayHooks } from "../../provider/effects/hook";
import { HookTarget, RoleHookInputs, RoleHookOutputs, roleHookProvider } from "../../provider/resources/role-hook";
import { TransportError } from "../../provider/transport";
import { Call, connection, inspectOutput } from "./fakes";
import { dockerHost, hex, inspecting, OLD_ID, route, stderr, use, withFakeHosts } from "./provider-hosts";

describe("roleHookProvider", () => {
    withFakeHosts();

    const ID1 = hex("1");
    const ID2 = hex("2");
    const HEALTHY_AT = Date.now() - 50;
    const target = (host: string, id: string): HookTarget => ({ connection: connection(host), containerId: id, containerName: "app-web-v2", healthyAt: HEALTHY_AT });
    const inputs = (over: Partial<RoleHookInputs> = {}): RoleHookInputs => ({
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
            const { outs } = await roleHookProvider.create(inputs({ targets: [target("h1", ID1)], redact }));
            assert.equal((outs as RoleHookOutputs).runs[0].outputTail, "== connecting to [secret] ==\ntoken [secret]");
            assert.ok(stderr.lines.includes("[web@h1 post-app-boot] token [secret]"), stderr.lines.join("\n"));
            assert.doesNotMatch(stderr.lines.join("\n"), /hunter2|tok-123456/);
        });

        it("are masked in the error of a failed hook", async () => {
            use(hookHost("h1", ID1).on(isHook, { code: 3, stderr: leaky }));
            await assert.rejects(roleHookProvider.create(inputs({ targets: [target("h1", ID1)], redact })), (e: Error) => {
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
            const { id, outs } = await roleHookProvider.create(inputs());
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
            const runs = (outs as RoleHookOutputs).runs;
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
            const { outs } = await roleHookProvider.create(inputs({ runOn: "all", destination: "staging" }));
            assert.deepEqual((outs as RoleHookOutputs).runs.map((r) => r.host), ["h1", "h2"]);
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
            await assert.rejects(roleHookProvider.create(inputs()), (e: Error) => {
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

        it("names its stage in its id, progress lines and errors (states without one hold post-app-boot hooks)", async () => {
            use(hookHost("h1", ID1), hookHost("h2", ID2));
            const { id } = await roleHookProvider.create(inputs({ stage: "post-app-boot" }));
            assert.match(id, /^app-web-post-app-boot-[0-9a-f]{8}$/);
            const h1 = hookHost("h1", ID1).on(isHook, { code: 2 });
            use(h1, hookHost("h2", ID2));
            const lines = stderr.lines.length;
            await assert.rejects(roleHookProvider.create(inputs({ stage: "post-deploy" })), /^HookFailedError: post-deploy hook of role "web" failed on h1: exit 2/);
            assert.ok(stderr.lines.slice(lines).some((l) => l.startsWith("[web@h1 post-deploy] running in app-web-v2")), stderr.lines.join("\n"));
        });

        it("after-traffic: a failure leaves the (already serving) container running", async () => {
            const h1 = hookHost("h1", ID1).on(isHook, { code: 1 });
            use(h1);
            await assert.rejects(roleHookProvider.create(inputs({ when: "after-traffic", targets: [target("h1", ID1)] })), HookFailedError);
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
            await assert.rejects(roleHookProvider.create(inputs({ targets: [target("h1", ID1)] })), {
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
            await roleHookProvider.create(inputs({ targets: [target("h1", ID1)] }));
            const preflight = proxy.preflight({ ...route, target: "111111111111:3000" }, "111111111111");
            assert.deepEqual(h1.calls.map((c) => c.argv).slice(0, 4), [docker.inspectContainer(ID1), docker.start(ID1), preflight.deploy, preflight.remove]);
            assert.equal(h1.find(isHook).length, 1);
        });

        it("a hook still running from an earlier deploy is stopped (TERM) before the new one starts: never two at once", async () => {
            const h1 = hookHost("h1", ID1).on(isFind, { stdout: `${OLD_ID} old-hook-id\n` }, 1).on(isKill, {});
            use(h1);
            await roleHookProvider.create(inputs({ targets: [target("h1", ID1)] }));
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
            await assert.rejects(roleHookProvider.create(inputs({ targets: [target("h1", ID1)] })), /h1: container app-web-v2 is gone; run `pulumi refresh` then `pulumi up`/);
        });
    });

    describe("diff and update", () => {
        const olds: RoleHookOutputs = { ...inputs(), runs: [{ host: "h1", container: "app-web-v2", exitCode: 0, durationMs: 1, healthyToStartMs: 1, startedAt: 1, outputTail: "" }] };

        it("nothing changed: no diff", async () => {
            assert.deepEqual(await roleHookProvider.diff!("x", olds, inputs()), { changes: false, replaces: [] });
        });

        it("a changed command, env, version or target re-runs the hook (replace)", async () => {
            assert.deepEqual(await roleHookProvider.diff!("x", olds, inputs({ command: "bin/rails db:seed" })), { changes: true, replaces: ["command"] });
            assert.deepEqual(await roleHookProvider.diff!("x", olds, inputs({ env: {} })), { changes: true, replaces: ["env"] });
            assert.deepEqual(await roleHookProvider.diff!("x", olds, inputs({ version: "v3" })), { changes: true, replaces: ["version"] });
            assert.deepEqual(await roleHookProvider.diff!("x", olds, inputs({ targets: [target("h1", hex("7"))] })), { changes: true, replaces: ["targets"] });
        });

        it("new SSH settings (key, user, port, known_hosts, pins, jump host) are an update that stores them, never a re-run", async () => {
            const rotated = (t: HookTarget): HookTarget => ({
                ...t,
                connection: { ...t.connection, user: "deploy2", port: 2222, privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nnew\n", knownHosts: "/etc/ssh/other_known_hosts", hostKeys: { h1: "SHA256:x" }, proxy: "jump@bastion" },
            });
            const news = inputs({ targets: olds.targets.map(rotated) });
            assert.deepEqual(await roleHookProvider.diff!("x", olds, news), { changes: true, replaces: [] });
            const { outs } = await roleHookProvider.update!("x", olds, news);
            assert.deepEqual(outs.targets, news.targets);
            assert.deepEqual(outs.runs, olds.runs);
        });

        it("a new host or a new container re-runs the hook even when the SSH settings changed with it", async () => {
            const withKey = (t: HookTarget): HookTarget => ({ ...t, connection: { ...t.connection, privateKey: "new key" } });
            assert.deepEqual(await roleHookProvider.diff!("x", olds, inputs({ targets: [...olds.targets, target("h3", hex("3"))].map(withKey) })), { changes: true, replaces: ["targets"] });
            assert.deepEqual(await roleHookProvider.diff!("x", olds, inputs({ targets: [withKey(target("h1", hex("7")))] })), { changes: true, replaces: ["targets"] });
            assert.deepEqual(await roleHookProvider.diff!("x", olds, inputs({ targets: [withKey(target("h9", olds.targets[0].containerId))] })), { changes: true, replaces: ["targets"] });
        });

        it("in preview, targets not known yet (their containers update in place) are an update; a changed command still re-runs", async () => {
            const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9" as unknown as HookTarget[];
            assert.deepEqual(await roleHookProvider.diff!("x", olds, inputs({ targets: unknown })), { changes: true, replaces: [] });
            assert.deepEqual(await roleHookProvider.diff!("x", olds, inputs({ targets: unknown, command: "bin/other" })), { changes: true, replaces: ["command"] });
        });

        it("a changed timeout or when is an update, not a re-run", async () => {
            assert.deepEqual(await roleHookProvider.diff!("x", olds, inputs({ timeout: 600 })), { changes: true, replaces: [] });
            assert.deepEqual(await roleHookProvider.diff!("x", olds, inputs({ when: "after-traffic" })), { changes: true, replaces: [] });
            const { outs } = await roleHookProvider.update!("x", olds, inputs({ timeout: 600 }));
            assert.equal(outs.timeout, 600);
            assert.deepEqual(outs.runs, olds.runs);
        });
    });
});
