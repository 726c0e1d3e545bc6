/**
 * Scale benchmark: a 3-role app (web with a before-traffic hook, a second
 * proxied role `api`, a `worker`) on every one of N test bed hosts; v1, then
 * v1 -> v3 under a request loop. Prints tables; nothing passes or fails on a
 * number. Real Pulumi engine (Automation API), the test bed's SSH hosts.
 *
 *   npm run bench:scale -- [--hosts N] [--noop 6,12,24,48] [--parallel 2,8,0]
 *                          [--modes ours,kamal] [--json FILE] [--smoke]
 *   npm run bench:scale -- --report A.json B.json ...   (saved runs as one set of tables)
 *
 * The test bed must have at least N hosts (scripts/testbed/up.sh N). Per
 * measured deploy it reads the provider's trace (PULUMI_KAMAL_TRACE) for the
 * critical path, the hosts' sshd logs for logins, /proc for memory and CPU.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { KamalApp } from "../index";
import { parseTrace, TraceEvent } from "../provider/trace";
import { criticalPath, RoleShape } from "./critical-path";
import { cpuMeter, hostNames, loadAvg, rssSampler, sshLogins } from "./scale-probes";
import { DeployFigures, NoopFigures, render, renderSaved } from "./scale-report";
import { codeVersion } from "./version";
import { requestLoopProcess } from "./load-child";
import { get, onHostAsync, served, testbed, Testbed, testStack, TestStack, waitFor } from "../test/e2e/harness";

type Mode = "ours" | "kamal";
interface Shape { version: string; mode: Mode; roles: number }
interface Options { hosts?: number; noop: number[]; parallel: number[]; modes: Mode[]; json?: string; smoke: boolean }

const HOOK = "/app/bin/migrate";
const log = (msg: string) => process.stderr.write(`[scale ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

function parseArgs(argv: string[]): Options {
    const o: Options = { noop: [6, 12, 24, 48], parallel: [], modes: ["ours", "kamal"], smoke: false };
    const nums = (v: string) => v.split(",").map(Number).filter((n) => Number.isInteger(n) && n >= 0);
    for (let i = 0; i < argv.length; i++) {
        const [flag, inline] = argv[i].split("=", 2);
        const value = () => inline ?? argv[++i] ?? (() => { throw new Error(`${flag} needs a value`); })();
        switch (flag) {
            case "--hosts": o.hosts = Number(value()); break;
            case "--noop": o.noop = nums(value()); break;
            case "--parallel": o.parallel = nums(value()); break;
            case "--modes": o.modes = value().split(",") as Mode[]; break;
            case "--json": o.json = value(); break;
            case "--smoke": Object.assign(o, { smoke: true, hosts: 2, noop: [6], parallel: [], modes: ["ours"] }); break;
            default: throw new Error(`unknown argument ${argv[i]}; see the comment at the top of bench/scale.ts`);
        }
    }
    return o;
}

/** Role names and graph shape: web, api, worker, then extra workers to reach a container count. */
function roleShapes(s: Shape): RoleShape[] {
    const extra = Array.from({ length: Math.max(0, s.roles - 3) }, (_, i) => `w${i + 2}`);
    if (s.mode === "kamal") {
        // Kamal's order: roles one after the other (each after the previous role's first container), no role hook.
        return [{ name: "web", proxied: true, bootAfter: [] }, { name: "api", proxied: true, bootAfter: ["web"] },
            { name: "worker", proxied: false, bootAfter: ["api"] }, ...extra.map((name) => ({ name, proxied: false, bootAfter: ["worker"] }))];
    }
    return [{ name: "web", proxied: true, hook: "primary", bootAfter: [] }, { name: "api", proxied: true, bootAfter: ["web"] },
        ...["worker", ...extra].map((name) => ({ name, proxied: false, bootAfter: ["web"] }))];
}

function program(tb: Testbed, hosts: string[], current: () => Shape) {
    return async () => {
        const s = current();
        const roles: Record<string, any> = {};
        for (const r of roleShapes(s)) {
            roles[r.name] = {
                hosts,
                ...(r.name === "api" ? { proxy: { pathPrefix: "/api" } } : {}),
                ...(!r.proxied ? { cmd: ["/app/bin/worker"] } : {}),
                ...(r.hook ? { hooks: { postAppBoot: { command: HOOK, when: "before-traffic" } } } : {}),
                ...(r.name !== "web" ? { bootAfter: r.bootAfter } : {}),
            };
        }
        new KamalApp("shop", {
            service: "shop",
            image: `${tb.appImage}:${s.version}`,
            roles,
            ssh: { user: tb.user, privateKey: pulumi.secret(fs.readFileSync(tb.keyPath, "utf8")), knownHosts: tb.knownHosts },
            registry: tb.registryUser ? { server: tb.registry, username: tb.registryUser, password: pulumi.secret(tb.registryPassword!) } : undefined,
            readinessDelay: 1,
            deployTimeout: 15,
            drainTimeout: 2,
            retainContainers: 2,
        } as any);
        return {};
    };
}

let traceSeq = 0;
const traceDir = fs.mkdtempSync(path.join(os.tmpdir(), "pk-scale-trace-"));

/** One measured `up`: wall time, trace, logins per host, peak memory, CPU, load; optionally under a request loop. */
async function measuredUp(tb: Testbed, names: string[], stack: TestStack, s: Shape, hosts: string[], opts: { urls?: string[]; parallel?: number }): Promise<DeployFigures> {
    const trace = path.join(traceDir, `${++traceSeq}.jsonl`);
    process.env.PULUMI_KAMAL_TRACE = trace;
    const load = opts.urls ? requestLoopProcess(opts.urls) : undefined;
    const rss = rssSampler(stack.stack.workspace.workDir);
    const cpu = cpuMeter();
    const load1 = loadAvg();
    const t0 = Date.now();
    let tEnd = t0, lastOutput = t0;
    try {
        // The engine's last line (its summary) is when the CLI is done; the Automation API then runs
        // `pulumi stack output` and `pulumi stack history` before `up` returns.
        await stack.stack.up({ color: "never", parallel: opts.parallel, onOutput: (c) => { lastOutput = Date.now(); stack.output.push(c); if (process.env.E2E_VERBOSE) process.stderr.write(c.replace(/^(?=.)/gm, `${((Date.now() - t0) / 1000).toFixed(2)} `)); } });
        tEnd = Date.now();
        if (s.mode === "kamal") await onHostAsync(tb, hosts[0], `docker exec shop-web-${s.version} ${HOOK}`); // Kamal's global hook, after every role
    } finally {
        delete process.env.PULUMI_KAMAL_TRACE;
    }
    const wallMs = Date.now() - t0;
    const busy = cpu();
    const mem = rss.stop();
    const samples = load ? await load.stop() : [];
    const events: TraceEvent[] = fs.existsSync(trace) ? parseTrace(fs.readFileSync(trace, "utf8")) : [];
    const ops = events.filter((e) => ["create", "update", "delete", "read"].includes(e.step));
    const cp = criticalPath(roleShapes(s), hosts, events);
    // During `up` only (docker stamps log lines in ns): Kamal's hook above is one more login on the first host.
    const logins = names.slice(0, hosts.length).map((n) => sshLogins(n, t0, tEnd));
    return {
        mode: s.mode, hosts: hosts.length, containers: hosts.length * s.roles, version: s.version, parallel: opts.parallel,
        wallMs, upMs: tEnd - t0, engineMs: lastOutput - t0, criticalMs: cp.ms, chain: cp.chain, steps: cp.steps,
        beforeFirstOpMs: ops.length ? Math.min(...ops.map((e) => e.start)) - t0 : undefined,
        workMs: ops.length ? Math.max(...ops.map((e) => e.end)) - Math.min(...ops.map((e) => e.start)) : undefined,
        afterLastOpMs: ops.length ? lastOutput - Math.max(...ops.map((e) => e.end)) : undefined,
        operations: ops.length, sshCommands: events.filter((e) => e.step === "ssh").length,
        logins, failed: samples.filter((x) => !served(x)).length, requests: samples.length,
        providerMiB: mem.providerMiB, engineMiB: mem.engineMiB, programMiB: mem.programMiB,
        cpuBusy: busy, load1, load1After: loadAvg(),
    };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
    const t = Date.now();
    await fn();
    return Date.now() - t;
}

async function deployRun(tb: Testbed, names: string[], hosts: string[], mode: Mode, parallel: number[]): Promise<{ deploys: DeployFigures[]; noop?: NoopFigures }> {
    let shape: Shape = { version: "v1", mode, roles: 3 };
    const stack = await testStack(`scale-${mode}-${hosts.length}`, program(tb, hosts, () => shape));
    const deploys: DeployFigures[] = [];
    const urls = hosts.flatMap((h) => [`http://${h}/version`, `http://${h}/api/version`]);
    try {
        log(`${mode} N=${hosts.length}: v1`);
        deploys.push(await measuredUp(tb, names, stack, shape, hosts, {}));
        for (const url of urls) await waitFor(`v1 on ${url}`, async () => ((await get(url)).body.trim() === "v1" || undefined), 30_000);
        shape = { ...shape, version: "v3" };
        log(`${mode} N=${hosts.length}: v1 -> v3 under requests`);
        deploys.push(await measuredUp(tb, names, stack, shape, hosts, { urls }));
        let noop: NoopFigures | undefined;
        if (mode === "ours") {
            const upMs = await timed(() => stack.stack.up({ color: "never" }));
            const previewMs = await timed(() => stack.stack.preview({ color: "never" }));
            noop = { containers: hosts.length * 3, hosts: hosts.length, upMs, previewMs };
            // --parallel: alternate versions so each is a full rollout.
            for (const p of parallel) {
                shape = { ...shape, version: shape.version === "v3" ? "v1" : "v3" };
                log(`${mode} N=${hosts.length}: -> ${shape.version} with --parallel ${p || "default"}`);
                deploys.push(await measuredUp(tb, names, stack, shape, hosts, { urls, parallel: p || undefined }));
            }
        }
        return { deploys, noop };
    } finally {
        log(`${mode} N=${hosts.length}: destroying`);
        await stack.destroy().catch((e) => log(`destroy failed: ${(e as Error).message.split("\n").slice(-3).join(" ")}`));
    }
}

/** No-op `up` and `preview` as the stack grows: roles = containers / hosts (at least 3). */
async function noopSeries(tb: Testbed, hosts: string[], counts: number[]): Promise<NoopFigures[]> {
    const sizes = counts.filter((c) => c % hosts.length === 0 && c / hosts.length >= 3);
    if (!sizes.length) return [];
    let shape: Shape = { version: "v1", mode: "ours", roles: 3 };
    const stack = await testStack(`scale-noop-${hosts.length}`, program(tb, hosts, () => shape));
    const out: NoopFigures[] = [];
    try {
        for (const c of sizes) {
            shape = { ...shape, roles: c / hosts.length };
            log(`no-op: growing to ${c} containers`);
            await stack.stack.up({ color: "never" });
            const upMs = await timed(() => stack.stack.up({ color: "never" }));
            const previewMs = await timed(() => stack.stack.preview({ color: "never" }));
            out.push({ containers: c, hosts: hosts.length, upMs, previewMs });
            log(`no-op at ${c}: up ${upMs} ms, preview ${previewMs} ms`);
        }
    } finally {
        await stack.destroy().catch((e) => log(`destroy failed: ${(e as Error).message.split("\n").slice(-3).join(" ")}`));
    }
    return out;
}

/**
 * One `kamal` network per host before measuring (what `kamal setup` leaves):
 * concurrent first deploys can leave duplicates behind (docker allows two
 * networks of one name), and then nothing can start on that host.
 */
const NETWORK_SETUP = `ids=$(docker network ls -q --filter name=^kamal$); n=$(echo "$ids" | grep -c .)
if [ "$n" = 0 ]; then docker network create kamal >/dev/null; fi
for id in $ids; do
  if [ "$n" -gt 1 ] && [ -z "$(docker network inspect -f '{{range .Containers}}x{{end}}' "$id")" ]; then docker network rm "$id" >/dev/null; n=$((n - 1)); fi
done
[ "$n" -le 1 ] || { echo "duplicate kamal networks in use" >&2; exit 1; }`;

async function main() {
    const report = process.argv.indexOf("--report");
    if (report >= 0) {
        // Re-render saved runs (--json files) as one set of tables, each row tagged with its file's code.
        console.log(renderSaved(process.argv.slice(report + 1)));
        return;
    }
    const opts = parseArgs(process.argv.slice(2));
    const tb = testbed();
    const envFile = process.env.TESTBED_ENV ?? path.join(process.env.PULUMI_KAMAL_CACHE ?? path.join(os.homedir(), ".cache/pulumi-kamal"), "testbed/testbed.env");
    const names = hostNames(envFile);
    const n = opts.hosts ?? tb.hosts.length;
    if (tb.hosts.length < n) throw new Error(`--hosts ${n}: the test bed has ${tb.hosts.length}; run scripts/testbed/up.sh ${n} first`);
    const hosts = tb.hosts.slice(0, n);
    for (const h of hosts) await onHostAsync(tb, h, NETWORK_SETUP);
    const started = Date.now();
    log(`N=${n} (${hosts.join(", ")}), code ${codeVersion()}, load ${loadAvg()}`);
    const deploys: DeployFigures[] = [];
    const noops: NoopFigures[] = [];
    for (const mode of opts.modes) {
        const r = await deployRun(tb, names, hosts, mode, mode === "ours" ? opts.parallel : []);
        deploys.push(...r.deploys);
        if (r.noop) noops.push(r.noop);
    }
    const series = opts.noop.filter((c) => c !== n * 3).length ? await noopSeries(tb, hosts, opts.noop.filter((c) => c !== n * 3)) : [];
    noops.push(...series);
    console.log(render({
        code: codeVersion(), date: new Date().toISOString(), nproc: os.cpus().length, ramGiB: os.totalmem() / 2 ** 30,
        seconds: (Date.now() - started) / 1000, deploys, noops,
    }));
    if (opts.json) fs.writeFileSync(opts.json, JSON.stringify({ options: opts, hosts, code: codeVersion(), date: new Date().toISOString(), deploys, noops }, null, 2));
    fs.rmSync(traceDir, { recursive: true, force: true });
}

main().catch((e) => {
    console.error(`benchmark failed: ${(e as Error).stack ?? e}`);
    process.exit(1);
});
