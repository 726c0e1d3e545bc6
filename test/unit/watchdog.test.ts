/**
 * The paused switch's watchdog builders, checked as argv and run for real by
 * /bin/sh with a fake `docker` (its `exec [-d] kamal-proxy CMD` runs CMD here,
 * `-d` in a new session) and a fake `kamal-proxy` that logs its arguments.
 */
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join as pathJoin } from "node:path";
import assert from "node:assert/strict";
import * as hooks from "../../provider/commands/hook";
import * as proxy from "../../provider/commands/proxy";
import { armWatchdog, disarmStaleWatchdogs, disarmWatchdog, extendWatchdog, watchdogFile, watchdogToken } from "../../provider/commands/watchdog";
import { join } from "../../provider/commands/shell";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("watchdog builders", () => {
    const token = "0f1e2d3c-aaaa-bbbb-cccc-000000000001";

    it("are what the hook's builders export", () => {
        assert.equal(hooks.armWatchdog, armWatchdog);
        assert.equal(hooks.disarmWatchdog, disarmWatchdog);
    });

    it("arm runs the loop inside kamal-proxy with docker exec -d (out of the SSH session), keyed by a token file, never a PID", () => {
        const argv = armWatchdog("app-web", proxy.deploy({ service: "app-web", target: "old:3000", deployTimeout: 30, drainTimeout: 30, healthcheck: { path: "/up", interval: 1, timeout: 5 }, responseTimeout: 30 }), 60, token);
        assert.equal(argv.length, 3);
        assert.deepEqual(argv.slice(0, 2), ["sh", "-c"]);
        assert.match(argv[2], /^docker exec kamal-proxy sh -c .* && docker exec -d kamal-proxy sh -c /);
        assert.ok(argv[2].includes(watchdogFile(token)));
        assert.doesNotMatch(argv[2], /\bkill\b|nohup|\$!/);
        // its actions are kamal-proxy's own CLI in the container: rollback, then resume
        assert.match(argv[2], /kamal-proxy deploy app-web --target old:3000 .*; kamal-proxy resume app-web/);
        assert.doesNotMatch(argv[2], /docker exec kamal-proxy kamal-proxy/);
    });

    it("disarm removes exactly this watchdog's token file", () => {
        assert.deepEqual(disarmWatchdog(token), ["docker", "exec", "kamal-proxy", "rm", `/tmp/kamal-watchdog-${token}`]);
    });

    it("refuses a rollback that is not a kamal-proxy command, and a token that is not a plain word", () => {
        assert.throws(() => armWatchdog("app-web", ["docker", "start", "old"], 60, token), /only runs kamal-proxy commands, not: docker start old/);
        assert.throws(() => disarmWatchdog("../etc"), /watchdog token "..\/etc" must be 8-200 letters, digits, '_', '-' or single '.'/);
        assert.throws(() => disarmWatchdog("app-web/../../etc"), /must be 8-200/);
        assert.throws(() => armWatchdog("app-web", undefined, 60, "short"), /must be 8-200/);
        assert.throws(() => disarmStaleWatchdogs("app web"), /kamal-proxy service "app web" must be letters, digits/);
    });

    it("tokens start with the kamal-proxy service; the stale sweep matches that service's files only", () => {
        assert.equal(watchdogToken("app-web", token), `app-web.${token}`);
        assert.deepEqual(disarmStaleWatchdogs("app-web").slice(0, 4), ["docker", "exec", "kamal-proxy", "sh"]);
        assert.equal(disarmStaleWatchdogs("app-web").at(-1), "/tmp/kamal-watchdog-app-web.");
    });
});

describe("the watchdog, run for real with a fake docker and kamal-proxy on PATH", function () {
    this.timeout(20_000);
    let dir: string;
    let env: NodeJS.ProcessEnv;
    const tokens: string[] = [];

    beforeEach(() => {
        dir = mkdtempSync(pathJoin(tmpdir(), "kamal-watchdog-"));
        mkdirSync(pathJoin(dir, "bin"));
        writeFileSync(pathJoin(dir, "bin", "docker"), [
            "#!/bin/sh",
            '[ "$1" = exec ] || exit 64',
            "shift",
            'if [ "$1" = -d ]; then shift; shift; setsid "$@" >/dev/null 2>&1 </dev/null & exit 0; fi',
            'shift; exec "$@"',
        ].join("\n"), { mode: 0o755 });
        writeFileSync(pathJoin(dir, "bin", "kamal-proxy"), `#!/bin/sh\nprintf '%s ' "$@" >> "$LOG"\necho >> "$LOG"\n`, { mode: 0o755 });
        env = { ...process.env, PATH: `${pathJoin(dir, "bin")}:${process.env.PATH}`, LOG: pathJoin(dir, "log") };
    });
    afterEach(() => {
        // Disarm anything a failed test left, so no loop outlives the test.
        for (const t of tokens.splice(0)) rmSync(watchdogFile(t), { force: true }), rmSync(`${watchdogFile(t)}.fired`, { force: true });
        rmSync(dir, { recursive: true, force: true });
    });

    const newToken = () => {
        const t = `unit-${randomUUID()}`;
        tokens.push(t);
        return t;
    };
    const sh = (argv: string[]) => spawnSync("sh", ["-c", join(argv)], { env, encoding: "utf8" });
    const arm = (service: string, seconds: number, token: string) => {
        const rollback = ["docker", "exec", "kamal-proxy", "kamal-proxy", "deploy", service, "--target", "old one:3000"];
        const r = sh(armWatchdog(service, rollback, seconds, token));
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout, "");
    };
    const log = () => (existsSync(pathJoin(dir, "log")) ? readFileSync(pathJoin(dir, "log"), "utf8") : "");
    const fired = (service: string) => `deploy ${service} --target old one:3000 \nresume ${service} \n`;
    const waitFor = async (what: () => boolean, ms: number) => {
        const deadline = Date.now() + ms;
        while (!what() && Date.now() < deadline) await sleep(100);
        return what();
    };
    /** Processes whose command line mentions the token (the watchdog's loop), and their `sleep` children. */
    const processes = (token: string) => {
        const all = readdirSync("/proc").filter((p) => /^\d+$/.test(p)).map((pid) => {
            try {
                const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
                const ppid = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "").split(" ")[1];
                return { pid: Number(pid), ppid: Number(ppid), cmd };
            } catch {
                return undefined;
            }
        }).filter((p) => p !== undefined);
        const loops = all.filter((p) => p.cmd.includes(watchdogFile(token)) && p.cmd.startsWith("sh\0"));
        const sleeps = all.filter((p) => loops.some((l) => l.pid === p.ppid) && p.cmd.startsWith("sleep\0"));
        return { loops, sleeps };
    };

    it("fires after the full time: rolls back, then resumes", async () => {
        const token = newToken();
        arm("app-web", 1, token);
        assert.equal(log(), "");
        assert.ok(await waitFor(() => log() !== "", 5_000), "the watchdog never fired");
        assert.equal(log(), fired("app-web"));
        assert.ok(!existsSync(watchdogFile(token)));
    });

    it("a killed sleep does not make it fire early", async () => {
        const token = newToken();
        const t0 = Date.now();
        arm("app-web", 3, token);
        assert.ok(await waitFor(() => processes(token).loops.length === 1, 2_000), "the watchdog loop is not running");
        let killed = 0;
        while (Date.now() - t0 < 2_500) {
            for (const s of processes(token).sleeps) {
                try {
                    process.kill(s.pid, "SIGKILL");
                    killed++;
                } catch { /* already gone */ }
            }
            await sleep(50);
        }
        assert.ok(killed > 0, "found no sleep to kill");
        assert.equal(log(), "", "fired before its time");
        assert.ok(await waitFor(() => log() !== "", 5_000), "the watchdog never fired");
        assert.equal(log(), fired("app-web"));
    });

    it("disarm is exact: it stops only its own watchdog, which exits; disarming again or after firing says so", async () => {
        const mine = newToken();
        const other = newToken();
        arm("app-mine", 1, mine);
        arm("app-other", 1, other);
        assert.equal(sh(disarmWatchdog(mine)).status, 0);
        assert.ok(await waitFor(() => log() !== "", 5_000), "the other watchdog never fired");
        await sleep(1_500);
        assert.equal(log(), fired("app-other"));
        assert.ok(await waitFor(() => processes(mine).loops.length === 0, 3_000), "the disarmed loop is still running");
        assert.notEqual(sh(disarmWatchdog(mine)).status, 0);
        assert.notEqual(sh(disarmWatchdog(other)).status, 0);
    });

    it("the stale sweep disarms every armed watchdog of one service (they exit, never fire), leaves other services' and fired ones", async () => {
        const service = `sweep${randomUUID().slice(0, 8)}`;
        const other = `${service}-api`;
        const mine = [watchdogToken(service, randomUUID()), watchdogToken(service, randomUUID())];
        const theirs = watchdogToken(other, randomUUID());
        tokens.push(...mine, theirs);
        for (const t of mine) arm(service, 2, t);
        arm(other, 1, theirs);
        const r = sh(disarmStaleWatchdogs(service));
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(r.stdout.trim().split("\n").sort(), mine.map(watchdogFile).sort());
        assert.ok(await waitFor(() => log() !== "", 5_000), "the other service's watchdog never fired");
        await sleep(2_500);
        assert.equal(log(), fired(other), "a swept watchdog fired");
        assert.ok(await waitFor(() => mine.every((t) => processes(t).loops.length === 0), 3_000), "a swept loop is still running");
        // The other one fired: its claimed file is no armed watchdog, so a sweep of its service leaves it.
        assert.equal(sh(disarmStaleWatchdogs(other)).stdout, "");
        assert.ok(existsSync(`${watchdogFile(theirs)}.fired`));
    });

    it("extend moves the deadline; after firing it fails and changes nothing", async () => {
        const token = newToken();
        arm("app-web", 1, token);
        assert.equal(sh(extendWatchdog(token, 4)).status, 0);
        await sleep(2_800);
        assert.equal(log(), "", "fired at the old deadline");
        assert.ok(await waitFor(() => log() !== "", 5_000), "the watchdog never fired");
        assert.equal(sh(extendWatchdog(token, 60)).status, 3);
        assert.ok(!existsSync(watchdogFile(token)));
    });

    it("arming fails, before anything is paused, when the proxy's image lacks the tools the loop needs", () => {
        const token = newToken();
        // A shell, but no `date`/`sleep`/`mv`: as in a stripped-down custom proxy image.
        const bare = pathJoin(dir, "bare");
        mkdirSync(bare);
        for (const tool of ["docker", "kamal-proxy"]) symlinkSync(pathJoin(dir, "bin", tool), pathJoin(bare, tool));
        symlinkSync("/bin/sh", pathJoin(bare, "sh"));
        symlinkSync(spawnSync("sh", ["-c", "command -v setsid"], { encoding: "utf8" }).stdout.trim(), pathJoin(bare, "setsid"));
        const r = spawnSync("/bin/sh", ["-c", join(armWatchdog("app-web", undefined, 5, token))], { env: { ...env, PATH: bare }, encoding: "utf8" });
        assert.notEqual(r.status, 0);
        assert.ok(!existsSync(watchdogFile(token)));
    });
});
