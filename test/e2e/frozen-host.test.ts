/**
 * Issue 11 §5: a host that stops answering fails the deploy within the
 * documented bound instead of hanging it. Real engine, real hosts: the
 * second test host is frozen with `docker pause` of its container (its sshd,
 * dockerd and kamal-proxy stop answering, TCP stays open), at each phase of
 * a deploy of web on two hosts with a `paused` hook (the resume, a window of
 * milliseconds, through a failpoint: provider/effects/failpoint.ts).
 */
import * as assert from "node:assert/strict";
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { KamalApp } from "../../index";
import { HOST_SILENT_FAIL_MS } from "../../provider/transport/bounds";
import { hostContainer, onHost, testbed, testStack, TestStack } from "./harness";

const tb = testbed();
const [h1, h2] = tb.hosts;
const DOMAIN = "frozen.test";
const LOCK = ".kamal/locks/frozen";

/** What a browser gets from the app on one host (Host header routed by kamal-proxy). */
function version(host: string): Promise<string> {
    return new Promise((resolve, reject) => {
        const req = http.get({ host, port: 80, path: "/version", headers: { Host: DOMAIN }, agent: false, timeout: 10_000 }, (res) => {
            let body = "";
            res.setEncoding("utf8").on("data", (d) => (body += d)).on("end", () => resolve(`${res.statusCode} ${body.trim()}`));
        });
        req.on("timeout", () => req.destroy(new Error("timeout")));
        req.on("error", reject);
    });
}

interface Wanted { version: string; cmd?: string[]; hook: string }

describe("a frozen host fails the deploy within the documented bound (issue 11 §5)", function () {
    const frozen = hostContainer(h2);
    let stack: TestStack;
    let wanted: Wanted = { version: "v1", hook: "true" };
    const program = async () => {
        new KamalApp("frozen", {
            service: "frozen",
            image: `${tb.appImage}:${wanted.version}`,
            proxy: { host: DOMAIN },
            roles: { web: { hosts: [h1, h2], ...(wanted.cmd ? { cmd: wanted.cmd } : {}), hooks: { postAppBoot: { command: wanted.hook, when: "paused", timeout: 30 } } } },
            ssh: { user: tb.user, privateKey: pulumi.secret(fs.readFileSync(tb.keyPath, "utf8")), knownHosts: tb.knownHosts },
            registry: tb.registryUser ? { server: tb.registry, username: tb.registryUser, password: pulumi.secret(tb.registryPassword!) } : undefined,
            readinessDelay: 1,
            deployTimeout: 20,
            drainTimeout: 1,
        });
    };
    let safetyThaw: ChildProcess | undefined;
    const freeze = () => {
        execFileSync("docker", ["pause", frozen]);
        // The test bed is shared: should this process die while the host is frozen, it thaws anyway.
        safetyThaw = spawn("sh", ["-c", `sleep 240; docker unpause ${frozen} >/dev/null 2>&1`], { detached: true, stdio: "ignore" });
        safetyThaw.unref();
    };
    const thaw = () => {
        // A later test's freeze must not be undone by this one's timer.
        if (safetyThaw?.pid) { try { process.kill(-safetyThaw.pid, "SIGKILL"); } catch { /* already ended */ } }
        safetyThaw = undefined;
        try { execFileSync("docker", ["unpause", frozen], { stdio: "ignore" }); } catch { /* not paused */ }
    };
    const proxyList = (host: string) => onHost(tb, host, "docker exec kamal-proxy kamal-proxy list");
    const lockHeld = () => onHost(tb, h1, `test -d ${LOCK} && echo held || echo free`).trim() === "held";

    /**
     * Runs `up`, freezes h2 when `phase` (given this run's engine output) says so, and checks the deploy
     * failed naming h2 within the documented bound. Returns the engine output up to the freeze.
     */
    async function upFrozenAt(label: string, phase: (output: string) => boolean, pollMs = 200, settleMs = 0, afterFreeze?: () => void): Promise<string> {
        const seen = stack.output.length;
        let ended = false;
        const up = stack.up().then(() => undefined, (e: Error) => e).finally(() => { ended = true; });
        const deadline = Date.now() + 120_000;
        const sinceStart = () => stack.output.slice(seen).join("");
        while (!phase(sinceStart())) {
            if (ended || Date.now() > deadline) throw new Error(`the phase to freeze at never came; the deploy said:\n${sinceStart().slice(-3000)}`);
            await new Promise((r) => setTimeout(r, pollMs));
        }
        if (settleMs) await new Promise((r) => setTimeout(r, settleMs));
        const output = sinceStart();
        freeze();
        const frozenAt = Date.now();
        afterFreeze?.();
        const error = await up;
        const seconds = (Date.now() - frozenAt) / 1000;
        assert.ok(error, `the deploy succeeded with a frozen host; it said:\n${stack.output.slice(seen).join("").slice(-3000)}`);
        assert.match(error.message, new RegExp(`${h2.replace(/\./g, "\\.")}: (SSH connection lost|did not answer|kamal-proxy did not confirm)`), "the error names the frozen host and why");
        const said = error.message.split("\n").filter((l) => l.includes(h2) && /error|failed|lost|did not|timed out/i.test(l) && !/^\s*[+~-]/.test(l))
            .slice(0, 3).map((l) => l.trim().slice(0, 240));
        console.log(`      the user saw: ${said.join(" | ")}`);
        console.log(`      frozen ${label}: deploy failed ${seconds.toFixed(1)} s after the freeze (bound ${HOST_SILENT_FAIL_MS / 1000} s)`);
        assert.ok(seconds < HOST_SILENT_FAIL_MS / 1000, `failed after ${seconds.toFixed(1)} s, over the documented ${HOST_SILENT_FAIL_MS / 1000} s`);
        return output;
    }

    /** The host that still answers serves `expected` (the old version unless its hook ran), unpaused, and the lock is free. */
    async function assertOtherHostIntact(expected: string) {
        assert.equal(await version(h1), `200 ${expected}`);
        assert.doesNotMatch(proxyList(h1), /paused/i, `${h1}'s route is left paused`);
        assert.equal(lockHeld(), false, "the deploy lock is still held");
    }

    /** After the thaw the next `up` converges: both hosts serve the wanted version, nothing paused. */
    async function assertConverges() {
        thaw();
        const started = Date.now();
        await stack.up();
        console.log(`      after the thaw the next up converged in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        for (const host of [h1, h2]) {
            assert.equal(await version(host), `200 ${wanted.version}`, host);
            assert.doesNotMatch(proxyList(host), /paused/i, `${host} is left paused`);
        }
    }

    /** One frozen case: `body` deploys with h2 frozen at its phase; h2 is thawed whatever happens, then the next `up` must converge. */
    async function frozenCase(body: () => Promise<void>) {
        try {
            await body();
        } finally {
            thaw();
        }
        await assertConverges();
    }

    before(async function () {
        thaw();
        for (const host of [h1, h2]) {
            onHost(tb, host, `rm -rf ${LOCK}; docker rm -f $(docker ps -aq --filter label=service=frozen) >/dev/null 2>&1; docker exec kamal-proxy kamal-proxy remove frozen-web >/dev/null 2>&1; true`);
        }
        stack = await testStack("frozen", program);
        await stack.up();
        for (const host of [h1, h2]) assert.equal(await version(host), "200 v1");
    });

    after(async function () {
        thaw();
        if (process.env.E2E_KEEP) return;
        await stack?.destroy().catch((e) => console.error(`destroy frozen: ${e.message}`));
    });

    it("frozen while its new container boots and is health-checked: fails, the other host keeps the old version", async function () {
        // v3 listens 8 s after it starts: h2 is frozen in the middle of its health check.
        wanted = { version: "v3", cmd: ["sh", "-c", "sleep 8; exec /app/bin/serve"], hook: "true" };
        await frozenCase(async () => {
            // Frozen 2 s after h2 started it, well inside its 8 s of not listening.
            const output = await upFrozenAt("during health check", (out) => out.includes(`[web@${h2}] starting frozen-web-v3`), 100, 2_000);
            assert.doesNotMatch(output, new RegExp(`\\[web@${h2}\\] frozen-web-v3 is healthy`), "frozen too late: h2's container was already healthy");
            await assertOtherHostIntact("v1");
        });
    });

    it("frozen the moment the paused hook resource starts (both new containers healthy): fails, the first host keeps the old version, resumed", async function () {
        wanted = { version: "v1", hook: "sleep 3" };
        await frozenCase(async () => {
            // The engine reports the hook resource starting; nothing on the hosts is touched before its first command.
            await upFrozenAt("at hook start", (output) => /post-app-boot\S* +(creating|replacing)/.test(output), 20);
            await assertOtherHostIntact("v3");
        });
    });

    it("frozen mid-hook (both hosts paused and switched, the hook running on the first): fails; the first host, whose hook succeeded, serves the new version, resumed", async function () {
        wanted = { version: "v3", hook: "sleep 7" };
        const hookRunning = () => { try { execFileSync("docker", ["exec", hostContainer(h1), "pgrep", "-f", "sleep 7$"], { stdio: "ignore" }); return true; } catch { return false; } };
        await frozenCase(async () => {
            const seen = stack.output.length;
            await upFrozenAt("mid-hook", hookRunning);
            // The migration ran: the host that answers stays on the code that matches it.
            await assertOtherHostIntact("v3");
            // The frozen host never heard of the hook's success: its watchdog still rolls back, and the user is told so.
            assert.match(stack.output.slice(seen).join(""), new RegExp(`\\[web@${h2.replace(/\./g, "\\.")}\\] did not hear that the hook succeeded`));
        });
    });

    it("frozen just after its route was paused, before the switch: fails; the first host is back on the old version, resumed", async function () {
        wanted = { version: "v1", hook: "sleep 3" };
        await frozenCase(async () => {
            await upFrozenAt("after the pause", (output) => output.includes(`[web@${h2}] paused frozen-web`), 20);
            await assertOtherHostIntact("v3");
        });
    });

    it("frozen at the resume (hook succeeded, both hosts switched, still paused): fails; the first host serves the new version, resumed; the frozen one's watchdog resumes it, on the new version, once it answers", async function () {
        wanted = { version: "v3", hook: "sleep 2" };
        // A failpoint holds the deploy right before the resume (a window of milliseconds) while h2 is frozen.
        const points = fs.mkdtempSync(path.join(os.tmpdir(), "failpoints-"));
        const point = path.join(points, "paused-before-resume");
        fs.writeFileSync(point, "");
        process.env.PULUMI_KAMAL_FAILPOINTS = points;
        await frozenCase(async () => {
            try {
                await upFrozenAt("at the resume", () => fs.existsSync(`${point}.reached`), 20, 0, () => fs.rmSync(point));
                await assertOtherHostIntact("v3");
                thaw();
                const thawed = Date.now();
                // Its watchdog was renewed as resume-only after the hook: it resumes h2 on v3, never back to v1.
                let seen = "";
                for (let i = 0; i < 45 && seen !== "200 v3"; i++) {
                    await new Promise((r) => setTimeout(r, 1_000));
                    if (!/paused/i.test(proxyList(h2))) seen = await version(h2).catch((e) => String(e));
                }
                assert.equal(seen, "200 v3", `${h2} after the thaw`);
                console.log(`      ${h2} resumed by its watchdog on v3 ${((Date.now() - thawed) / 1000).toFixed(1)} s after the thaw`);
            } finally {
                delete process.env.PULUMI_KAMAL_FAILPOINTS;
                fs.rmSync(points, { recursive: true, force: true });
            }
        });
    });
});
