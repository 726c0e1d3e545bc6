/** provider/commands/hook.ts: running, finding and killing a hook inside its container. */
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import assert from "node:assert/strict";
import * as hooks from "../../provider/commands/hook";

describe("hook commands", () => {
    it("a string runs through sh -c, an argv as is", () => {
        assert.deepEqual(hooks.hookArgv("bin/rails db:migrate && echo done"), ["sh", "-c", "bin/rails db:migrate && echo done"]);
        assert.deepEqual(hooks.hookArgv(["bin/rails", "db:migrate"]), ["bin/rails", "db:migrate"]);
    });

    it("runHook execs in the container with the env plus KAMAL_HOOK_ID, sorted", () => {
        assert.deepEqual(hooks.runHook("c1", "bin/migrate", { ZED: "2", FOO: "1" }, "hook-1"), [
            "docker", "exec", "--env", "FOO=1", "--env", "KAMAL_HOOK_ID=hook-1", "--env", "ZED=2", "c1", "sh", "-c", "bin/migrate",
        ]);
        assert.deepEqual(hooks.runHook("c1", ["bin/migrate", "--all"], {}, "hook-2"), [
            "docker", "exec", "--env", "KAMAL_HOOK_ID=hook-2", "c1", "bin/migrate", "--all",
        ]);
    });

    it("runHook's id cannot be overridden by the hook's env", () => {
        assert.ok(hooks.runHook("c1", "x", { KAMAL_HOOK_ID: "spoofed" }, "real").includes("KAMAL_HOOK_ID=real"));
        assert.ok(!hooks.runHook("c1", "x", { KAMAL_HOOK_ID: "spoofed" }, "real").includes("KAMAL_HOOK_ID=spoofed"));
    });

    it("killHook signals processes by KAMAL_HOOK_ID, id passed as $1", () => {
        const argv = hooks.killHook("c1", "hook-1");
        assert.deepEqual(argv.slice(0, 5), ["docker", "exec", "c1", "sh", "-c"]);
        assert.deepEqual(argv.slice(6), ["sh", "hook-1"]);
        assert.match(argv[5], /KAMAL_HOOK_ID=\$1/);
        assert.match(argv[5], /kill -TERM /);
        assert.match(hooks.killHook("c1", "hook-1", "KILL")[5], /kill -KILL /);
    });

    describe("killHook's script, run for real on this machine", function () {
        this.timeout(10_000);
        const children: ChildProcess[] = [];
        afterEach(() => { for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL"); });

        const sleeper = (hookId: string) => {
            const c = spawn("sleep", ["30"], { env: { ...process.env, KAMAL_HOOK_ID: hookId }, stdio: "ignore" });
            children.push(c);
            return c;
        };
        const exited = (c: ChildProcess) => new Promise<string | null>((resolve) => c.once("exit", (_code, signal) => resolve(signal)));

        it("kills the process carrying the id and only that one", async () => {
            const id = `unit-${randomUUID()}`;
            const target = sleeper(id);
            const bystander = sleeper(`${id}-other`);
            await new Promise((r) => setTimeout(r, 100));
            const script = hooks.killHook("c1", id).slice(3); // what `docker exec c1` would run inside the container
            const r = spawnSync(script[0], script.slice(1), { encoding: "utf8" });
            assert.equal(r.status, 0, r.stderr);
            assert.equal(await exited(target), "SIGTERM");
            assert.equal(bystander.exitCode, null);
            assert.equal(bystander.signalCode, null);
        });
    });
});
