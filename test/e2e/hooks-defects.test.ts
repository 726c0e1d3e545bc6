/**
 * Issue 11 section 6, on the test bed. Rotating how the hosts are reached (the key's form, the
 * known_hosts file) must not run a post-app-boot hook again; a changed hook
 * command still does; its output is masked and encrypted. Real engine, real
 * host, the hook's runs counted on it.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { KamalApp } from "../../index";
import { armWatchdog, disarmWatchdog, watchdogFile } from "../../provider/commands/watchdog";
import { join, quote } from "../../provider/commands/shell";
import { onHost, testbed, testStack, TestStack, waitFor } from "./harness";

describe("role hooks: SSH settings, secrets in output, the watchdog (issue 11 §6)", function () {
    const tb = testbed();
    const h1 = tb.hosts[0];
    const DATA = "/tmp/pk-e2e-ksshrot";
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pk-ksshrot-"));
    const otherKnownHosts = path.join(dir, "known_hosts");
    let s: TestStack;
    /** How the program reaches the host, and the hook's command: changed between runs. */
    // Prints "hook-said-hello token=…": that text is in its output only, not in its command.
    const SAY = "printf 'hook-%s token=%s\\n' said-hello \"$TOKEN\";";
    let current = { rotated: false, command: `${SAY} /app/bin/migrate` };

    const program = async () => {
        const app = new KamalApp("ksshrot", {
            service: "ksshrot",
            image: `${tb.appImage}:v1`,
            roles: { web: { hosts: [h1], volumes: [`${DATA}:/data`], hooks: { postAppBoot: current.command } } },
            ssh: current.rotated
                ? { user: tb.user, keyPath: tb.keyPath, knownHosts: otherKnownHosts }
                : { user: tb.user, privateKey: pulumi.secret(fs.readFileSync(tb.keyPath, "utf8")), knownHosts: tb.knownHosts },
            env: { secret: { TOKEN: pulumi.secret("tok-e2e-9f8e7d") } },
            registry: tb.registryUser ? { server: tb.registry, username: tb.registryUser, password: pulumi.secret(tb.registryPassword!) } : undefined,
            // Its own host name: another service's catch-all route on the shared host cannot conflict.
            proxy: { host: "ksshrot.test" },
            deployTimeout: 20, drainTimeout: 2,
        });
        return { runs: app.roles.web.hooks[0].runs };
    };
    /** One line per hook run (test/app's migrate appends it). */
    const hookRuns = () => onHost(tb, h1, `cat ${DATA}/migrations.log 2>/dev/null || true`).split("\n").filter(Boolean).length;
    const hookSteps = (summary: { stdout: string }) => summary.stdout.split("\n").filter((l) => /RoleHook/.test(l) && /replace|create|delete/.test(l));

    before(async function () {
        fs.copyFileSync(tb.knownHosts, otherKnownHosts);
        onHost(tb, h1, `rm -rf ${DATA}`);
        // No stored registry login: the deploy's own (user name and password on stdin only) must make the pull work.
        if (tb.registryUser) onHost(tb, h1, "rm -f ~/.docker/config.json");
        s = await testStack("ksshrot", program);
        const up = await s.up();
        assert.equal(hookRuns(), 1);
        // Its output is shown live with the secret env masked, and kept encrypted in state.
        const shown = up.stdout + s.output.join("");
        assert.match(shown, /hook-said-hello token=\[secret\]/);
        assert.doesNotMatch(shown, /tok-e2e-9f8e7d/);
        if (tb.registryUser) assert.match(onHost(tb, h1, "cat ~/.docker/config.json"), new RegExp(Buffer.from(`${tb.registryUser}:`).toString("base64").slice(0, 8)));
        const state = await s.exportState();
        assert.doesNotMatch(state, /hook-said-hello|tok-e2e-9f8e7d/);
    });

    after(async function () {
        if (!process.env.E2E_KEEP) {
            await s?.destroy().catch((e) => console.error(`destroy ksshrot: ${e.message}`));
            onHost(tb, h1, `rm -rf ${DATA}`);
        }
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("a new key form and known_hosts file: preview shows no hook replacement and `up` does not run it again", async function () {
        current = { ...current, rotated: true };
        const preview = await s.preview();
        assert.deepEqual(hookSteps(preview), [], preview.stdout);
        assert.equal(preview.changeSummary.replace ?? 0, 0, preview.stdout);
        const before = (await s.stack.outputs()).runs.value;
        const up = await s.up();
        assert.equal(up.summary.resourceChanges?.replace ?? 0, 0, up.stdout);
        assert.equal(hookRuns(), 1);
        assert.deepEqual(up.outputs.runs, before);
        // The new settings are stored: the next preview is clean.
        const again = await s.preview();
        assert.deepEqual(Object.keys(again.changeSummary).filter((k) => k !== "same"), [], again.stdout);
    });

    it("the paused switch's watchdog runs inside kamal-proxy, outlives the SSH session, fires after its time, and disarms exactly", async function () {
        const token = (n: number) => `e2e-${process.pid}-${n}-${Date.now()}`;
        const inProxy = (cmd: string) => onHost(tb, h1, `docker exec kamal-proxy sh -c ${quote(cmd)}`);
        const running = (t: string) => inProxy(`for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < "$f"; echo; done 2>/dev/null`)
            .split("\n").some((l) => l.startsWith("sh -c ") && l.includes(watchdogFile(t)));
        const fires = token(1);
        const disarmed = token(2);
        // Each arm is its own SSH session, closed at once: the loops must live on.
        onHost(tb, h1, join(armWatchdog("ksshrot-web", undefined, 2, fires)));
        onHost(tb, h1, join(armWatchdog("ksshrot-web", undefined, 60, disarmed)));
        assert.ok(running(fires) && running(disarmed));
        assert.equal(inProxy(`test -e ${watchdogFile(fires)}.fired && echo fired || echo waiting`).trim(), "waiting");
        onHost(tb, h1, join(disarmWatchdog(disarmed)));
        await waitFor("the first watchdog to fire", async () => (inProxy(`test -e ${watchdogFile(fires)}.fired && echo y || true`).trim() === "y" ? true : undefined), 15_000);
        await waitFor("both loops to end", async () => (!running(fires) && !running(disarmed) ? true : undefined), 10_000);
        assert.equal(inProxy(`ls ${watchdogFile(disarmed)}* 2>/dev/null | wc -l`).trim(), "0");
        inProxy(`rm -f ${watchdogFile(fires)}.fired`);
    });

    it("a changed hook command still runs it again, over the new settings", async function () {
        current = { ...current, command: `${SAY} /app/bin/migrate 1` };
        await s.up();
        assert.equal(hookRuns(), 2);
    });
});
