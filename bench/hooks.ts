/**
 * Benchmark: what users see while v1 -> v2 (needs a migration) deploys, for
 * Kamal's ordering (no role hook; the migration runs after every role booted,
 * as Kamal's global post-app-boot does) and the three role-hook modes.
 *
 * Not a test: it prints a markdown table. Real Pulumi engine (Automation API),
 * the test bed's SSH hosts, the test app and its shared "database" (see
 * test/app/README.md), reusing the end-to-end harness and fixture.
 *
 *   npm run bench -- [--runs N] [--scenarios expand,breaking]
 *                    [--modes kamal,after-traffic,before-traffic,paused]
 *                    [--db-port 5460] [--json FILE]
 *
 * Hosts: the test bed's first two (E2E_HOSTS=a,b picks others).
 */
import * as fs from "node:fs";
import { get, onHostAsync, requestLoop, Sample, served as ok, Testbed, testStack, TestStack, waitFor } from "../test/e2e/harness";
import { hookApp, Scenario, SharedDb, testbed } from "../test/e2e/fixture";
import { codeVersion } from "./version";

type Mode = "kamal" | "after-traffic" | "before-traffic" | "paused";
type ScenarioName = "expand" | "breaking";

const MODES: Mode[] = ["kamal", "after-traffic", "before-traffic", "paused"];
const SCENARIOS: ScenarioName[] = ["expand", "breaking"];
const MODE_LABEL: Record<Mode, string> = {
    kamal: "Kamal's ordering (migrate after all roles booted)",
    "after-traffic": "`after-traffic`",
    "before-traffic": "`before-traffic`",
    paused: "`paused`",
};
const SCENARIO_LABEL: Record<ScenarioName, string> = {
    expand: "expand-style (v1 keeps working on schema 2)",
    breaking: "breaking change (`LEGACY_MAX_SCHEMA=1`: v1 answers 500 on schema 2)",
};
const SCENARIO_ENV: Record<ScenarioName, Record<string, string> | undefined> = {
    expand: undefined,
    breaking: { LEGACY_MAX_SCHEMA: "1" },
};

interface Options { runs: number; modes: Mode[]; scenarios: ScenarioName[]; dbPort: number; json?: string }

function parseArgs(argv: string[]): Options {
    const o: Options = { runs: 1, modes: MODES, scenarios: SCENARIOS, dbPort: Number(process.env.BENCH_DB_PORT ?? 5460) };
    const list = <T extends string>(v: string, allowed: T[], what: string): T[] => v.split(",").map((x) => {
        if (!allowed.includes(x as T)) throw new Error(`unknown ${what} "${x}"; one of: ${allowed.join(", ")}`);
        return x as T;
    });
    for (let i = 0; i < argv.length; i++) {
        const [flag, inline] = argv[i].split("=", 2);
        const value = () => inline ?? argv[++i] ?? (() => { throw new Error(`${flag} needs a value`); })();
        switch (flag) {
            case "--runs": o.runs = Number(value()); if (!Number.isInteger(o.runs) || o.runs < 1) throw new Error("--runs: a positive integer"); break;
            case "--modes": o.modes = list(value(), MODES, "mode"); break;
            case "--scenarios": o.scenarios = list(value(), SCENARIOS, "scenario"); break;
            case "--db-port": o.dbPort = Number(value()); break;
            case "--json": o.json = value(); break;
            case "-h": case "--help":
                console.log("usage: node dist/bench/hooks.js [--runs N] [--scenarios expand,breaking] [--modes kamal,after-traffic,before-traffic,paused] [--db-port P] [--json FILE]");
                return process.exit(0);
            default: throw new Error(`unknown argument ${argv[i]}`);
        }
    }
    return o;
}

// ---------------------------------------------------------------- requests

/** A resource operation finishing, in the engine's non-interactive output. */
const RESOURCE_DONE = /\b(created|updated|deleted|replaced)( original| replacement)? \([\d.]+m?s\)/;

/** Nearest-rank percentile; undefined for no data. */
function pct(values: number[], p: number): number | undefined {
    if (!values.length) return undefined;
    const v = [...values].sort((a, b) => a - b);
    return v[Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1))];
}
const median = (v: number[]) => pct(v, 50);

// ---------------------------------------------------------------- one run

interface RunResult {
    scenario: ScenarioName;
    mode: Mode;
    rep: number;
    failed: number;
    served: number;
    servedMs: number[];
    /** healthy -> hook (or migration) start, ms, one per hook run. */
    healthyToStartMs: number[];
    /** Deploy start -> `up` returned (Kamal's ordering: -> migration done): what the operator waits. */
    wallMs: number;
    /** Deploy start -> last resource operation done (Kamal's ordering: -> migration done). */
    workMs: number;
    /** `pulumi up` alone. */
    upMs: number;
    /** Deploy start -> the engine's last resource operation done. */
    lastResourceMs: number;
    migrationMs?: number;
    versions: Record<string, number>;
    failureKinds: Record<string, number>;
    /** First and last failure, ms after the deploy started. */
    failureWindowMs?: [number, number];
}

const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

let interrupted = false;
const checkInterrupt = () => { if (interrupted) throw new Error("interrupted"); };

async function runOnce(tb: Testbed, opts: Options, scenario: ScenarioName, mode: Mode, rep: number): Promise<RunResult> {
    const [h1, h2] = tb.hosts;
    const urls = [h1, h2].map((h) => `http://${h}/version`);
    const env = SCENARIO_ENV[scenario];
    let current: Scenario = { version: "v1", env };
    let db: SharedDb | undefined;
    let stack: TestStack | undefined;
    try {
        db = new SharedDb(tb, opts.dbPort);
        await waitFor("the shared db", async () => ((await get(`${db!.url}/schema`, 2000)).status === 200 || undefined), 30_000);
        stack = await testStack(`bench-${scenario}-${mode}-${rep}`, hookApp(tb, db, () => current));
        checkInterrupt();

        log(`${scenario}/${mode} #${rep}: deploying v1`);
        await stack.up();
        for (const url of urls) await waitFor(`v1 on ${url}`, async () => ((await get(url, 5000)).body.trim() === "v1" || undefined), 30_000);
        checkInterrupt();

        current = {
            version: "v2", env,
            ...(mode === "kamal" ? {} : { webHook: { command: "/app/bin/migrate", when: mode } }),
        };
        log(`${scenario}/${mode} #${rep}: deploying v2 under load`);
        const load = requestLoop(urls);
        const t0 = Date.now();
        let outputs: Record<string, any>;
        let upMs = 0, workMs = 0, wallMs = 0, lastResourceMs = 0, migrationMs: number | undefined;
        const healthyToStartMs: number[] = [];
        let samples: Sample[] = [];
        let lastResourceAt = t0;
        // The engine's own output, stamped on arrival: the last resource operation finishing
        // is when the deploy's work is done; `up` returns after the engine closed its plugins.
        const onOutput = (chunk: string) => {
            if (RESOURCE_DONE.test(chunk)) lastResourceAt = Date.now();
            stack!.output.push(chunk);
            if (process.env.E2E_VERBOSE) process.stderr.write(chunk);
        };
        try {
            const r = await stack.stack.up({ onOutput, color: "never" });
            outputs = Object.fromEntries(Object.entries(r.outputs).map(([k, v]) => [k, v.value]));
            upMs = Date.now() - t0;
            workMs = lastResourceMs = lastResourceAt - t0;
            if (mode === "kamal") {
                // Kamal's post-app-boot: once every role booted, on the deployer, here `kamal app exec`-like.
                const started = Date.now();
                await onHostAsync(tb, h1, "docker exec shop-web-v2 /app/bin/migrate");
                migrationMs = Date.now() - started;
                workMs = Date.now() - t0;
                healthyToStartMs.push(started - (outputs.webHealthyAt as number[])[0]);
            } else {
                for (const runs of outputs.hookRuns as { healthyToStartMs: number }[][]) for (const r of runs) healthyToStartMs.push(r.healthyToStartMs);
            }
            wallMs = Date.now() - t0;
        } finally {
            // The loop stops either way; on failure its samples are dropped with the run.
            samples = (await load.stop()).samples;
        }

        // Sanity: the deploy did what it says.
        const schema = await db.schema();
        if (schema !== "2") throw new Error(`${scenario}/${mode}: schema is ${schema} after the deploy, expected 2`);
        for (const url of urls) {
            const r = await get(url);
            if (r.body.trim() !== "v2") throw new Error(`${scenario}/${mode}: ${url} answers ${r.status} ${r.body} after the deploy, expected v2`);
        }

        const served = samples.filter(ok);
        const failed = samples.filter((s) => !ok(s));
        const versions: Record<string, number> = {};
        for (const s of served) versions[s.body] = (versions[s.body] ?? 0) + 1;
        const failureKinds: Record<string, number> = {};
        for (const s of failed) {
            const kind = s.error ? `error ${s.error}` : `${s.status} ${s.body.startsWith("schema") && s.body.includes("newer") ? "v1 on new schema" : s.body.startsWith("schema") ? "v2 before migration" : s.body.slice(0, 30)}`;
            failureKinds[kind] = (failureKinds[kind] ?? 0) + 1;
        }
        const result: RunResult = {
            scenario, mode, rep,
            failed: failed.length, served: served.length, servedMs: served.map((s) => s.ms),
            healthyToStartMs, wallMs, workMs, upMs, lastResourceMs, migrationMs, versions, failureKinds,
            failureWindowMs: failed.length ? [Math.min(...failed.map((s) => s.at)) - t0, Math.max(...failed.map((s) => s.at + s.ms)) - t0] : undefined,
        };
        log(`${scenario}/${mode} #${rep}: ${result.failed} failed, ${result.served} served, wall ${(wallMs / 1000).toFixed(1)} s, healthy->start ${healthyToStartMs.join(",")} ms`);
        return result;
    } finally {
        if (stack) {
            log(`${scenario}/${mode} #${rep}: destroying the stack`);
            try {
                await stack.destroy();
                fs.rmSync(stack.stack.workspace.workDir, { recursive: true, force: true });
            } catch (e) {
                log(`destroy failed (state kept in ${stack.stack.workspace.workDir}): ${(e as Error).message.split("\n").slice(-5).join(" ")}`);
            }
        }
        db?.remove();
    }
}

// ---------------------------------------------------------------- table

const fmt = (v: number | undefined, digits = 0) => (v === undefined ? "–" : v.toFixed(digits));

function table(results: RunResult[], opts: Options): string {
    const lines: string[] = [];
    const perRun = opts.runs > 1 ? " (mean per run)" : "";
    lines.push(`| scenario | mode | failed requests${perRun} | requests served${perRun} | latency p50 / p99 / max, served (ms) | healthy → hook start, median / p95 (ms) `
        + "| deploy wall time (s) | vs Kamal's ordering | work done at (s) | vs Kamal's ordering |");
    lines.push("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|");
    for (const scenario of opts.scenarios) {
        const of = (mode: Mode, f: (r: RunResult) => number) => median(results.filter((r) => r.scenario === scenario && r.mode === mode).map(f));
        const baseWall = of("kamal", (r) => r.wallMs), baseWork = of("kamal", (r) => r.workMs);
        const ratio = (v: number, base?: number) => (base === undefined ? "–" : `${(v / base).toFixed(2)}×`);
        for (const mode of opts.modes) {
            const rs = results.filter((r) => r.scenario === scenario && r.mode === mode);
            if (!rs.length) continue;
            const digits = rs.length > 1 ? 1 : 0;
            const mean = (f: (r: RunResult) => number) => rs.reduce((a, r) => a + f(r), 0) / rs.length;
            const lat = rs.flatMap((r) => r.servedMs);
            const h2s = rs.flatMap((r) => r.healthyToStartMs);
            const wall = of(mode, (r) => r.wallMs)!, work = of(mode, (r) => r.workMs)!;
            lines.push(`| ${scenario} | ${MODE_LABEL[mode]} | ${fmt(mean((r) => r.failed), digits)} | ${fmt(mean((r) => r.served), digits)} `
                + `| ${fmt(pct(lat, 50))} / ${fmt(pct(lat, 99))} / ${fmt(pct(lat, 100))} | ${fmt(median(h2s))} / ${fmt(pct(h2s, 95))} `
                + `| ${fmt(wall / 1000, 1)} | ${ratio(wall, baseWall)} | ${fmt(work / 1000, 1)} | ${ratio(work, baseWork)} |`);
        }
    }
    return lines.join("\n");
}

function details(results: RunResult[]): string {
    const lines = [
        "| scenario | mode | run | served by version | failures (kind × count) | failures from–to (s) | `up` (s) | last resource done (s) | migration by ssh (s) |",
        "|---|---|--:|---|---|---|--:|--:|--:|",
    ];
    const s = (ms?: number) => (ms === undefined ? "–" : (ms / 1000).toFixed(1));
    for (const r of results) {
        lines.push(`| ${r.scenario} | ${r.mode} | ${r.rep} | ${Object.entries(r.versions).map(([v, n]) => `${v} ${n}`).join(", ") || "–"} `
            + `| ${Object.entries(r.failureKinds).map(([k, n]) => `${k} × ${n}`).join("; ") || "–"} `
            + `| ${r.failureWindowMs ? `${s(r.failureWindowMs[0])}–${s(r.failureWindowMs[1])}` : "–"} `
            + `| ${s(r.upMs)} | ${s(r.lastResourceMs)} | ${s(r.migrationMs)} |`);
    }
    return lines.join("\n");
}

// ---------------------------------------------------------------- main

async function main() {
    const opts = parseArgs(process.argv.slice(2));
    const tb = testbed();
    if (tb.hosts.length < 2) throw new Error(`need two test bed hosts, have ${tb.hosts.join(",")}`);
    log(`hosts ${tb.hosts.slice(0, 2).join(", ")}; shared db port ${opts.dbPort}; ${opts.runs} run(s) × ${opts.scenarios.length} scenario(s) × ${opts.modes.length} mode(s)`);
    process.on("SIGINT", () => {
        if (interrupted) process.exit(130);
        interrupted = true;
        log("interrupted: finishing the current step, then cleaning up (Ctrl-C again to quit at once)");
    });

    const results: RunResult[] = [];
    const started = Date.now();
    // Repetitions outermost, so drift on the machine spreads over all modes.
    let failure: unknown;
    try {
        for (let rep = 1; rep <= opts.runs; rep++) {
            for (const scenario of opts.scenarios) {
                for (const mode of opts.modes) {
                    checkInterrupt();
                    results.push(await runOnce(tb, opts, scenario, mode, rep));
                }
            }
        }
    } catch (e) {
        failure = e;
        if (!results.length) throw e;
    }

    const out = [
        `Hooks benchmark${failure ? " (INCOMPLETE: stopped early)" : ""}: ${opts.runs} run(s) per mode and scenario, hosts ${tb.hosts.slice(0, 2).join(", ")}, code ${codeVersion()}, ${((Date.now() - started) / 1000).toFixed(0)} s in all.`,
        "",
        ...opts.scenarios.map((s) => `- ${s}: ${SCENARIO_LABEL[s]}`),
        "",
        table(results, opts),
        "",
        "Per run:",
        "",
        details(results),
    ].join("\n");
    console.log(out);
    if (opts.json) fs.writeFileSync(opts.json, JSON.stringify({ options: opts, hosts: tb.hosts.slice(0, 2), results }, null, 2));
    if (failure) throw failure;
}

main().catch((e) => {
    console.error(`benchmark failed: ${(e as Error).stack ?? e}`);
    process.exit(1);
});
