/**
 * Benchmark: a breaking change across roles (web, a second proxied role `api`
 * with its own proxy host name, a worker; two hosts), deployed v1 -> v2 with
 * web's `paused` hook, two ways:
 *   - web-only: `holds: [web]`, what `paused` did before the service-wide pause;
 *   - service-wide: `holds: [web, api, worker]`.
 * Prints a markdown table: failed requests per role and host, how long old
 * worker code ran on the new schema, how often new worker code started
 * before the migration, latency of served requests, wall time.
 *
 *   node dist/bench/roles.js [--runs N] [--db-port 5470]
 *
 * Not a test: it measures. Real Pulumi engine, the test bed's first two hosts
 * (E2E_HOSTS=a,b picks others), the test app and its shared "database".
 */
import { onHost, requestLoop, Testbed, testStack, TestStack } from "../test/e2e/harness";
import { SharedDb, testbed } from "../test/e2e/fixture";
import { containerTimes, perRoleHost, RolesScenario, roleUrls, threeRoleApp } from "../test/e2e/fixture-roles";
import { codeVersion } from "./version";

const MODES = { "web-only": ["web"], "service-wide": ["web", "api", "worker"] } as const;
type Mode = keyof typeof MODES;

interface Result {
    mode: Mode;
    failed: Record<string, number>;
    served: number;
    p50: number;
    max: number;
    /** Per host, seconds the old worker kept running after the migration (0: stopped before it). */
    oldWorkerAfterMigration: number[];
    /** Per host, how often the new worker started before the migration ended (its code on the old schema). */
    newWorkerBeforeMigration: number[];
    wallS: number;
}

/** When the worker container printed its start line (test/app/bin/worker), from `docker logs --timestamps`. */
function workerStarts(tb: Testbed, host: string, container: string, version: string): number[] {
    return onHost(tb, host, `docker logs --timestamps ${container} 2>&1 | grep 'worker ${version} started' || true`)
        .split("\n").filter(Boolean).map((line) => Date.parse(line.split(" ")[0]));
}

const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

async function runOnce(mode: Mode, rep: number, dbPort: number): Promise<Result> {
    const tb = testbed();
    const hosts = tb.hosts.slice(0, 2);
    const db = new SharedDb(tb, dbPort);
    let current: RolesScenario = { version: "v1" };
    let stack: TestStack | undefined;
    try {
        stack = await testStack(`bench-roles-${mode}-${rep}`, threeRoleApp(tb, db, () => current));
        log(`${mode} #${rep}: deploying v1`);
        await stack.up();
        current = { version: "v2", hook: "sleep 1 && /app/bin/migrate", holds: [...MODES[mode]] };
        log(`${mode} #${rep}: deploying v2 under load`);
        const load = requestLoop(roleUrls(tb));
        const started = Date.now();
        const { outputs } = await stack.up();
        const wallS = (Date.now() - started) / 1000;
        const report = await load.stop();
        const rows = perRoleHost(tb, report);
        const [run] = outputs.hookRuns[0];
        const migrated = run.startedAt + run.durationMs;
        const served = report.samples.filter((s) => s.status >= 200 && s.status < 300).map((s) => s.ms).sort((a, b) => a - b);
        const result: Result = {
            mode,
            failed: Object.fromEntries(Object.entries(rows).map(([k, r]) => [k, r.failed])),
            served: served.length,
            p50: served[Math.floor(served.length / 2)] ?? 0,
            max: served.at(-1) ?? 0,
            oldWorkerAfterMigration: hosts.map((h) => Math.max(0, containerTimes(tb, h, "shop-worker-v1").finishedAt - migrated) / 1000),
            newWorkerBeforeMigration: hosts.map((h) => workerStarts(tb, h, "shop-worker-v2", "v2").filter((at) => at < migrated).length),
            wallS,
        };
        log(`${mode} #${rep}: ${JSON.stringify(result)}`);
        return result;
    } finally {
        await stack?.destroy().catch((e) => log(`destroy: ${(e as Error).message}`));
        db.remove();
    }
}

function table(results: Result[]): string {
    const keys = [...new Set(results.flatMap((r) => Object.keys(r.failed)))].sort();
    const lines = [
        `| holds | ${keys.map((k) => `failed ${k}`).join(" | ")} | old worker on the new schema, per host (s) | new worker starts before the migration, per host | served | latency p50 / max, served (ms) | deploy wall time (s) |`,
        `|---|${keys.map(() => "---|").join("")}---|---|---|---|---|`,
    ];
    for (const r of results) {
        lines.push(`| ${r.mode} \`[${MODES[r.mode].join(", ")}]\` | ${keys.map((k) => r.failed[k] ?? "–").join(" | ")} | ${r.oldWorkerAfterMigration.map((s) => s.toFixed(1)).join(", ")} `
            + `| ${r.newWorkerBeforeMigration.join(", ")} | ${r.served} | ${r.p50} / ${r.max} | ${r.wallS.toFixed(1)} |`);
    }
    return lines.join("\n");
}

async function main() {
    const args = process.argv.slice(2);
    const runs = args.includes("--runs") ? Number(args[args.indexOf("--runs") + 1]) : 1;
    const dbPort = Number(args.includes("--db-port") ? args[args.indexOf("--db-port") + 1] : 5470);
    const results: Result[] = [];
    for (let rep = 1; rep <= runs; rep++) for (const mode of Object.keys(MODES) as Mode[]) results.push(await runOnce(mode, rep, dbPort));
    console.log(`bench/roles.ts at ${codeVersion()}, hosts ${testbed().hosts.slice(0, 2).join(", ")}, ${runs} run(s)\n`);
    console.log(table(results));
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
