/**
 * The deploy lock (Issue 11 §1): the builders run for real through `sh -c`
 * (as over SSH) in a temporary $HOME, so the layout is checked against what
 * Kamal reads and writes.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join as pathJoin } from "node:path";
import * as lockCmd from "../../provider/commands/lock";
import { join } from "../../provider/commands/shell";
import { holdLock, LockHeldError, lockWarning, LockSpec } from "../../provider/effects/lock";
import { captureStderr, connection, FakeHost, installHosts } from "./fakes";

let home: string;
const sh = (argv: string[]) => {
    const r = spawnSync("sh", ["-c", join(argv)], { encoding: "utf8", env: { ...process.env, HOME: home } });
    return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
};
/** A host whose shell commands really run, in `home`. */
const realShellHost = (name: string) => new FakeHost(name).on(["sh", "-c"], (argv) => sh(argv));
const kamalStatus = (dir: string) => spawnSync("sh", ["-c", `cd "$HOME" && stat ${dir} >/dev/null && cat ${dir}/details | base64 -d`], { encoding: "utf8", env: { ...process.env, HOME: home } });

let n = 0;
const spec = (over: Partial<LockSpec> = {}): LockSpec => ({
    connection: connection("primary"), service: `shop${++n}`, version: "v2", stack: "shop/prod", ...over,
});

describe("deploy lock", () => {
    let stderr: ReturnType<typeof captureStderr>;
    let uninstall: () => void;
    let host: FakeHost;
    beforeEach(() => {
        home = mkdtempSync(pathJoin(tmpdir(), "kamal-lock-"));
        stderr = captureStderr();
        host = realShellHost("primary");
        uninstall = installHosts([host]);
    });
    afterEach(() => {
        stderr.restore();
        uninstall();
        rmSync(home, { recursive: true, force: true });
    });

    it("lives where Kamal's does and Kamal's `lock status` reads who, which version and what", async () => {
        const s = spec({ destination: "prod" });
        await holdLock(s, "up");
        const dir = `.kamal/locks/${s.service}-prod`;
        assert.equal(lockCmd.lockDir(s.service, "prod"), dir);
        const status = kamalStatus(dir);
        assert.equal(status.status, 0, status.stderr);
        assert.match(status.stdout, /^Locked by: \S+ at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/m);
        assert.match(status.stdout, /^Version: v2$/m);
        assert.match(status.stdout, new RegExp(`^Message: pulumi up of shop/prod \\(pulumi-kamal, pid ${process.pid}\\)$`, "m"));
        assert.match(status.stdout, /^Expires: \d+$/m);
    });

    it("every resource of a deployment shares one acquisition", async () => {
        const s = spec();
        await Promise.all([holdLock(s, "up"), holdLock(s, "up"), holdLock(s, "destroy")]);
        assert.equal(host.calls.filter((c) => c.argv[2].includes("mkdir \"$1\"")).length, 1);
    });

    it("a lock held by a live holder fails the deploy naming the holder, its version, what it runs and how long its lease lasts", async () => {
        const s = spec();
        const details = "Locked by: alice@laptop at 2026-01-01T00:00:00Z\nVersion: v9\nMessage: pulumi up of shop/other (pulumi-kamal, pid 1)\nLease: 0123456789abcdef";
        assert.equal(sh(lockCmd.acquire(lockCmd.lockDir(s.service), details, 60)).stdout.trim(), "acquired");
        await assert.rejects(holdLock(s, "up"), (e: Error) => {
            assert.ok(e instanceof LockHeldError);
            assert.match(e.message, /^Deploy lock found on primary \(~\/\.kamal\/locks\/shop\d+\), held for \d+s: another deploy of this service is in progress\. Nothing was changed\./);
            assert.match(e.message, /Locked by: alice@laptop at 2026-01-01T00:00:00Z\nVersion: v9\nMessage: pulumi up of shop\/other/);
            assert.match(e.message, /lease expires in (59|60)s/);
            assert.match(e.message, /npx pulumi-kamal lock release/);
            return true;
        });
        // Every later resource of that deployment fails the same way, without trying again.
        const before = host.calls.length;
        await assert.rejects(holdLock(s, "up"), LockHeldError);
        assert.equal(host.calls.length, before);
    });

    it("Kamal's own lock (no lease) blocks us and never expires", async () => {
        const s = spec();
        const dir = lockCmd.lockDir(s.service);
        mkdirSync(pathJoin(home, dir), { recursive: true });
        writeFileSync(pathJoin(home, dir, "details"), Buffer.from("Locked by: Bob at 2020-01-01T00:00:00Z\nVersion: abc\nMessage: Manual deploy").toString("base64") + "\n");
        const old = new Date("2020-01-01");
        utimesSync(pathJoin(home, dir), old, old);
        await assert.rejects(holdLock(s, "up"), /Message: Manual deploy\nIt is a Kamal lock \(no lease\): it stays until released/);
        assert.ok(existsSync(pathJoin(home, dir, "details")));
    });

    it("and ours blocks Kamal: `mkdir` of the lock dir fails while we hold it", async () => {
        const s = spec();
        await holdLock(s, "up");
        const r = spawnSync("sh", ["-c", `cd "$HOME" && mkdir ${lockCmd.lockDir(s.service)}`], { env: { ...process.env, HOME: home } });
        assert.notEqual(r.status, 0);
    });

    it("an expired lease (its holder died) is broken, reported, and taken", async () => {
        const s = spec();
        const dir = lockCmd.lockDir(s.service);
        sh(lockCmd.acquire(dir, "Locked by: dead@host at x\nVersion: v1\nMessage: m\nLease: deadbeef", -5));
        await holdLock(s, "up");
        assert.match(kamalStatus(dir).stdout, /pid \d+/);
        assert.ok(stderr.lines.some((l) => /breaking the expired deploy lock/.test(l)));
    });

    it("a lock dir left without details by a holder killed at once is stale after a minute, not before", async () => {
        const fresh = spec();
        mkdirSync(pathJoin(home, lockCmd.lockDir(fresh.service)), { recursive: true });
        await assert.rejects(holdLock(fresh, "up"), /\(no details\)\nIt has no details yet/);
        const old = spec();
        const dir = pathJoin(home, lockCmd.lockDir(old.service));
        mkdirSync(dir, { recursive: true });
        utimesSync(dir, new Date(Date.now() - 120_000), new Date(Date.now() - 120_000));
        await holdLock(old, "up");
        assert.ok(existsSync(pathJoin(dir, "details")));
    });

    it("renew pushes the expiry only while the lock is ours; release removes only our own lock", () => {
        const dir = lockCmd.lockDir("svc");
        sh(lockCmd.acquire(dir, "Locked by: me\nVersion: v1\nMessage: m\nLease: aaaa", 1));
        const before = lockCmd.parseShown(sh(lockCmd.status(dir)).stdout);
        assert.equal(sh(lockCmd.renew(dir, "aaaa", 600)).code, 0);
        const after = lockCmd.parseShown(sh(lockCmd.status(dir)).stdout);
        assert.ok(after.expires! >= before.expires! + 598);
        assert.equal(after.token, "aaaa");
        assert.equal(sh(lockCmd.renew(dir, "bbbb", 600)).code, 4);
        assert.equal(sh(lockCmd.release(dir, "bbbb")).code, 4);
        assert.ok(existsSync(pathJoin(home, dir)));
        assert.equal(sh(lockCmd.release(dir, "aaaa")).code, 0);
        assert.ok(!existsSync(pathJoin(home, dir)));
        assert.deepEqual(lockCmd.parseShown(sh(lockCmd.status(dir)).stdout).held, false);
    });

    it("breaking a stale lock never removes one another deploy just took", () => {
        const dir = lockCmd.lockDir("svc");
        sh(lockCmd.acquire(dir, "Locked by: new\nLease: cccc", 60));
        assert.equal(sh(lockCmd.breakStale(dir, "dddd")).code, 4);
        assert.equal(sh(lockCmd.breakStale(dir, "-")).code, 4);
        assert.ok(existsSync(pathJoin(home, dir, "details")));
        assert.equal(sh(lockCmd.forceRelease(dir)).stdout.trim(), "released");
        assert.equal(sh(lockCmd.forceRelease(dir)).stdout.trim(), "none");
    });

    it("preview's warning names the holder and takes nothing; none when free", async () => {
        const s = spec();
        assert.equal(await lockWarning(s, host), undefined);
        sh(lockCmd.acquire(lockCmd.lockDir(s.service), "Locked by: carol@ci at t\nVersion: v3\nMessage: pulumi up of shop/ci\nLease: ffff", 60));
        const warning = await lockWarning(s, host);
        assert.match(warning ?? "", /^Deploy lock found on primary .* A deploy now would fail before changing anything\.\nLocked by: carol@ci at t\nVersion: v3\nMessage: pulumi up of shop\/ci/);
        assert.ok(host.calls.every((c) => !c.argv[2].includes("mkdir")), "preview must not try to take the lock");
    });

    it("no lock spec (a state written before the lock existed) or an unknown host: nothing to wait for", async () => {
        await holdLock(undefined, "destroy");
        await holdLock(spec({ connection: { ...connection("x"), host: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" } }), "up");
        assert.equal(host.calls.length, 0);
    });
});
