/** Every remote step is bounded: the pure bounds, and SshTransport's plumbing with a fake dial. */
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as docker from "../../provider/commands/docker";
import * as hookCmd from "../../provider/commands/hook";
import * as proxy from "../../provider/commands/proxy";
import {
    commandBound, COMMAND_TIMEOUT_MS, CONNECT_TIMEOUT_MS, HOST_SILENT_FAIL_MS, KEEPALIVE_COUNT_MAX, KEEPALIVE_DEAD_MS,
    KEEPALIVE_INTERVAL_MS, PULL_TIMEOUT_MS, SilentHost, stepName, WAIT_MARGIN_MS,
} from "../../provider/transport/bounds";
import { Dial, SshTransport } from "../../provider/transport/ssh";
import { TransportError } from "../../provider/transport/types";
import { Health, waitHealthy } from "../../provider/effects/containers";
import { FakeHost } from "./fakes";

const route: proxy.DeployTarget = {
    service: "app-web", target: "abc:80", hosts: ["app.test"], deployTimeout: 45, drainTimeout: 20,
    healthcheck: { path: "/up", interval: 1, timeout: 5 }, responseTimeout: 30, tls: false,
} as proxy.DeployTarget;

describe("bounds: the limit of each remote step", () => {
    it("ordinary commands get the default bound", () => {
        for (const argv of [docker.inspectContainer("x"), docker.start("x"), docker.rename("a", "b"), proxy.list(), proxy.resume("app-web")]) {
            assert.equal(commandBound(argv), COMMAND_TIMEOUT_MS, argv.join(" "));
        }
    });

    it("a pull gets the long pull bound", () => {
        assert.equal(commandBound(docker.pull("registry:5000/app:v2")), PULL_TIMEOUT_MS);
    });

    it("commands that wait by themselves get their own wait plus a margin, never less", () => {
        assert.equal(commandBound(docker.stop("x", 90)), 90_000 + WAIT_MARGIN_MS);
        assert.equal(commandBound(docker.stop("x")), 10_000 + WAIT_MARGIN_MS, "docker stop waits 10 s by default");
        // kamal-proxy deploy: health up to --deploy-timeout, then draining the old target.
        assert.equal(commandBound(proxy.deploy(route)), (45 + 20) * 1000 + WAIT_MARGIN_MS);
        assert.equal(commandBound(proxy.preflight(route, "abc").deploy), (45 + 1) * 1000 + WAIT_MARGIN_MS);
        assert.equal(commandBound(proxy.pause("app-web", 20, 400)), 20_000 + WAIT_MARGIN_MS);
    });

    it("names a step by its first words, without flags or long values", () => {
        assert.equal(stepName(proxy.deploy(route)), "docker exec kamal-proxy kamal-proxy deploy");
        assert.equal(stepName(docker.stop("0123456789ab", 10)), "docker stop 0123456789ab");
        assert.equal(stepName(["sh", "-c", "x".repeat(100)]), `sh ${"x".repeat(37)}...`);
        assert.equal(stepName(["docker", "exec", "-e", "A=1", "--env", "B=2", "web", "bin/migrate"]), "docker exec web bin/migrate");
        assert.match(stepName(hookCmd.killHook("c1", "id")), /^docker exec c1 sh for p in .+\.\.\.$/);
    });

    it("the documented fail bound adds up from the keepalive and one connect, and the README states it", () => {
        assert.equal(KEEPALIVE_DEAD_MS, KEEPALIVE_INTERVAL_MS * (KEEPALIVE_COUNT_MAX + 1));
        assert.ok(HOST_SILENT_FAIL_MS >= KEEPALIVE_DEAD_MS + CONNECT_TIMEOUT_MS);
        const readme = readFileSync(join(__dirname, "../../../README.md"), "utf8");
        assert.match(readme, new RegExp(`fails the deploy within ${HOST_SILENT_FAIL_MS / 1000} s`));
        assert.match(readme, new RegExp(`every ${KEEPALIVE_INTERVAL_MS / 1000} s`));
    });

    it("a host that did not answer a connect is not retried during the cooldown, then is", () => {
        let now = 1_000;
        const s = new SilentHost(30_000, () => now);
        assert.equal(s.check(), undefined);
        s.mark("did not answer");
        now += 10_000;
        assert.match(s.check() ?? "", /did not answer; not retried for 20s/);
        now += 20_000;
        assert.equal(s.check(), undefined);
        s.mark("again");
        s.clear();
        assert.equal(s.check(), undefined);
    });
});

/** A fake SSH connection: commands hang until `answer` or the connection goes. */
class FakeConnection {
    readonly connection = new EventEmitter();
    readonly commands: string[] = [];
    disposed = false;
    private answers: ((r: { code: number | null; stdout: string; stderr: string }) => void)[] = [];
    execCommand(cmd: string): Promise<any> {
        this.commands.push(cmd);
        return new Promise((resolve) => this.answers.push(resolve));
    }
    answer(code = 0): void {
        this.answers.shift()?.({ code, stdout: "ok", stderr: "" });
    }
    dispose(): void {
        this.disposed = true;
    }
}

describe("SshTransport: bounded steps", () => {
    const target = { host: "10.0.0.8", user: "deploy", port: 22, verifyHostKey: false, privateKey: "k" };
    const tick = () => new Promise((r) => setImmediate(r));

    function transport(): { t: SshTransport; dialed: FakeConnection[]; options: any[]; fail: (e?: Error) => void } {
        const dialed: FakeConnection[] = [];
        const options: any[] = [];
        let failNext: Error | undefined;
        const dial: Dial = async (o) => {
            options.push(o);
            if (failNext) { const e = failNext; failNext = undefined; throw e; }
            const c = new FakeConnection();
            dialed.push(c);
            return c as any;
        };
        return { t: new SshTransport(target, dial), dialed, options, fail: (e) => { failNext = e; } };
    }

    it("connects with the connect timeout and keepalive from bounds.ts", async () => {
        const { t, dialed, options } = transport();
        const p = t.exec(["docker", "ps"]);
        await tick();
        dialed[0].answer();
        await p;
        assert.equal(options[0].readyTimeout, CONNECT_TIMEOUT_MS);
        assert.equal(options[0].keepaliveInterval, KEEPALIVE_INTERVAL_MS);
        assert.equal(options[0].keepaliveCountMax, KEEPALIVE_COUNT_MAX);
    });

    it("a command that overruns its bound fails naming host and step; new commands use a new connection, the old one closes when idle", async () => {
        const { t, dialed } = transport();
        const slow = t.exec(["docker", "pull", "app:v2"]);
        const stuck = t.exec(["docker", "inspect", "--format", "{{.State}}", "web"], { timeoutMs: 30 });
        await assert.rejects(stuck, { name: "TransportError", message: "10.0.0.8: timed out after 0.03s while running `docker inspect web`" });
        assert.equal(dialed[0].disposed, false, "the pull still runs on it");
        const next = t.exec(["docker", "ps"]);
        await tick();
        assert.equal(dialed.length, 2, "the next command reconnected");
        dialed[1].answer();
        assert.equal((await next).code, 0);
        dialed[0].answer(); // the pull
        assert.equal((await slow).code, 0);
        assert.equal(dialed[0].disposed, true, "closed once its last command settled");
    });

    it("a keepalive timeout alone (no close event) fails every pending command at once and the next command reconnects", async () => {
        const { t, dialed } = transport();
        const a = t.exec(["docker", "exec", "app-web", "bin/migrate"], { timeoutMs: 600_000 });
        const b = t.exec(["docker", "ps"]);
        await tick();
        dialed[0].connection.emit("error", Object.assign(new Error("Keepalive timeout"), { level: "client-timeout" }));
        await assert.rejects(a, /10\.0\.0\.8: SSH connection lost \(Keepalive timeout\) while running `docker exec app-web bin\/migrate`/);
        await assert.rejects(b, /SSH connection lost \(Keepalive timeout\) while running `docker ps`/);
        assert.equal(dialed[0].disposed, true);
        const c = t.exec(["docker", "ps"]);
        await tick();
        assert.equal(dialed.length, 2);
        dialed[1].answer();
        await c;
    });

    it("a connect the host does not answer fails naming it; its next commands fail at once instead of waiting again", async () => {
        const { t, options, fail } = transport();
        fail(new Error("Timed out while waiting for handshake"));
        await assert.rejects(t.exec(["docker", "ps"]), { message: `10.0.0.8: did not answer the SSH connect to 10.0.0.8:22 within ${CONNECT_TIMEOUT_MS / 1000}s` });
        const start = Date.now();
        await assert.rejects(t.exec(["docker", "exec", "kamal-proxy", "kamal-proxy", "resume", "app-web"]), /did not answer the SSH connect .*; not retried for \d+s/);
        assert.ok(Date.now() - start < 100);
        assert.equal(options.length, 1, "no second dial during the cooldown");
    });

    it("other connect errors are not remembered: the next command dials again", async () => {
        const { t, dialed, options, fail } = transport();
        fail(new Error("All configured authentication methods failed"));
        await assert.rejects(t.exec(["docker", "ps"]), /SSH connection failed: All configured authentication methods failed/);
        const p = t.exec(["docker", "ps"]);
        await tick();
        dialed[0].answer();
        await p;
        assert.equal(options.length, 2);
    });

    it("an interrupt fails the command at once", async () => {
        const { t } = transport();
        const ac = new AbortController();
        const p = t.exec(["docker", "exec", "web", "sleep"], { signal: ac.signal });
        await tick();
        ac.abort();
        await assert.rejects(p, /interrupted while running `docker exec web sleep`/);
    });
});

describe("a host that fails during the health check", () => {
    it("fails with the host's first error (not as an unhealthy container, not the cleanup's error), and fetches no logs", async () => {
        const host = new FakeHost("10.0.0.9")
            .on(["docker", "exec", "kamal-proxy", "kamal-proxy", "deploy"], () => { throw new TransportError("10.0.0.9", "SSH connection lost (Keepalive timeout) while running `docker exec kamal-proxy kamal-proxy deploy`"); })
            .on(["docker", "exec", "kamal-proxy", "kamal-proxy", "remove"], () => { throw new TransportError("10.0.0.9", "did not answer the SSH connect to 10.0.0.9:22 within 10s"); });
        const health: Health = { kind: "proxy", target: { ...route, service: "app-web" }, appPort: 80 };
        await assert.rejects(waitHealthy(host, "0123456789abcdef", health), { name: "TransportError", message: /Keepalive timeout/ });
        assert.equal(host.find(["docker", "logs"]).length, 0, "no log fetch from a host that is gone");
    });

    it("a container that fails its check is still reported unhealthy, with its logs", async () => {
        const host = new FakeHost("10.0.0.9")
            .on(["docker", "exec", "kamal-proxy"], { code: 1, stderr: "target failed to become healthy" })
            .on(["docker", "logs"], { stdout: "boot error\n" });
        const health: Health = { kind: "proxy", target: { ...route, service: "app-web" }, appPort: 80 };
        await assert.rejects(waitHealthy(host, "0123456789abcdef", health), { name: "UnhealthyError", message: /did not become healthy: target failed[\s\S]*boot error/ });
    });
});
