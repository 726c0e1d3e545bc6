/**
 * Runs the end-to-end test files side by side, one file per pair of test bed
 * hosts at a time (E2E_HOSTS), longest first. Most of an e2e test's time is
 * waiting (health checks, leases, watchdogs, frozen hosts), so two pairs on
 * two cores finish in a little over half the time of one mocha run.
 *
 *   node dist/test/e2e/parallel.js [FILE...]   (default: every dist/test/e2e/*.test.js)
 *
 * Each file's output is printed whole when it ends; a summary table follows.
 * Durations are remembered (in the test bed cache) to order the next run.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO, testbed } from "./harness";

const TIMINGS = path.join(process.env.PULUMI_KAMAL_CACHE ?? path.join(os.homedir(), ".cache/pulumi-kamal"), "e2e-durations.json");
const MOCHA = path.join(REPO, "node_modules/mocha/bin/mocha.js");

interface Result { file: string; hosts: string; seconds: number; passed: boolean }

function readTimings(): Record<string, number> {
    try { return JSON.parse(fs.readFileSync(TIMINGS, "utf8")); } catch { return {}; }
}

/** The sibling modules a compiled test file requires (`require("./faults")`). */
const siblings = (file: string): string[] =>
    [...fs.readFileSync(file, "utf8").matchAll(/require\("\.\/([\w-]+)"\)/g)].map((m) => path.join(path.dirname(file), `${m[1]}.js`));

/**
 * Longest first: last run's durations, else the size of the file and of the
 * modules only it uses (faults.test.js drives faults.js): more code, more tests.
 */
function ordered(files: string[]): string[] {
    const known = readTimings();
    const users = new Map<string, number>();
    for (const f of files) for (const m of siblings(f)) users.set(m, (users.get(m) ?? 0) + 1);
    const size = (f: string) => (fs.existsSync(f) ? fs.statSync(f).size : 0);
    const estimate = (f: string) => known[path.basename(f)] ?? (size(f) + siblings(f).filter((m) => users.get(m) === 1).reduce((s, m) => s + size(m), 0)) / 100;
    return [...files].sort((a, b) => estimate(b) - estimate(a));
}

function runFile(file: string, hosts: string[]): Promise<Result> {
    const started = Date.now();
    return new Promise((resolve) => {
        const child = spawn(process.execPath, [MOCHA, "--timeout", "900000", "--slow", "60000", file], {
            cwd: REPO, env: { ...process.env, E2E_HOSTS: hosts.join(",") }, stdio: ["ignore", "pipe", "pipe"],
        });
        let output = "";
        child.stdout.setEncoding("utf8").on("data", (d: string) => (output += d));
        child.stderr.setEncoding("utf8").on("data", (d: string) => (output += d));
        child.on("close", (code) => {
            const seconds = (Date.now() - started) / 1000;
            process.stdout.write(`\n=== ${path.basename(file)} on ${hosts.join(",")}: ${code === 0 ? "passed" : `FAILED (exit ${code})`} in ${seconds.toFixed(0)} s\n${output}`);
            resolve({ file, hosts: hosts.join(","), seconds, passed: code === 0 });
        });
    });
}

async function main(): Promise<number> {
    const dir = path.join(REPO, "dist/test/e2e");
    const files = process.argv.length > 2 ? process.argv.slice(2).map((f) => path.resolve(f))
        : fs.readdirSync(dir).filter((f) => f.endsWith(".test.js")).map((f) => path.join(dir, f));
    const all = testbed().hosts;
    const pairs = Array.from({ length: Math.floor(all.length / 2) }, (_, i) => all.slice(2 * i, 2 * i + 2));
    if (pairs.length === 0) throw new Error(`the test bed has ${all.length} host(s); the e2e tests need 2 per runner`);
    const queue = ordered(files);
    const started = Date.now();
    const results: Result[] = [];
    await Promise.all(pairs.map(async (hosts) => {
        for (let file = queue.shift(); file; file = queue.shift()) results.push(await runFile(file, hosts));
    }));
    const wall = (Date.now() - started) / 1000;
    const serial = results.reduce((s, r) => s + r.seconds, 0);
    console.log(`\n=== e2e: ${results.filter((r) => r.passed).length}/${results.length} files passed on ${pairs.length} host pair(s) ` +
        `in ${(wall / 60).toFixed(1)} min (${(serial / 60).toFixed(1)} min of test time)`);
    for (const r of [...results].sort((a, b) => b.seconds - a.seconds)) {
        console.log(`  ${r.passed ? "ok  " : "FAIL"} ${r.seconds.toFixed(0).padStart(5)} s  ${r.hosts.padEnd(24)} ${path.basename(r.file)}`);
    }
    fs.mkdirSync(path.dirname(TIMINGS), { recursive: true });
    fs.writeFileSync(TIMINGS, JSON.stringify({ ...readTimings(), ...Object.fromEntries(results.map((r) => [path.basename(r.file), Math.round(r.seconds)])) }, null, 1));
    return results.every((r) => r.passed) ? 0 : 1;
}

main().then((code) => process.exit(code), (e) => { console.error(e); process.exit(2); });
