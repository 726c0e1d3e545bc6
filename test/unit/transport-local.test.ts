/** The transport's `run` (exit 0 required) and LocalTransport on real processes. */
import assert from "node:assert/strict";
import * as docker from "../../provider/commands/docker";
import { run } from "../../provider/transport";
import { LocalTransport } from "../../provider/transport/local";
import { FakeHost } from "./fakes";

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
