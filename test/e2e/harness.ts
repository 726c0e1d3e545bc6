/**
 * End-to-end harness: a real Pulumi engine (Automation API, inline programs,
 * local file backend) against the test bed's SSH hosts started by
 * scripts/testbed/up.sh.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { LocalWorkspace, PulumiCommand, PulumiFn, Stack } from "@pulumi/pulumi/automation";
import { prepareWorkspace } from "../../cli/run";

export const REPO = path.resolve(__dirname, "../../..");
const CACHE = process.env.PULUMI_KAMAL_CACHE ?? path.join(os.homedir(), ".cache/pulumi-kamal");

export interface Testbed {
    hosts: string[];
    user: string;
    keyPath: string;
    knownHosts: string;
    registry: string;
    registryUser?: string;
    registryPassword?: string;
    appImage: string;
}

function readEnvFile(): Record<string, string> {
    const file = process.env.TESTBED_ENV ?? path.join(CACHE, "testbed/testbed.env");
    if (!fs.existsSync(file)) throw new Error(`no test bed: ${file} is missing; run scripts/testbed/up.sh first`);
    return Object.fromEntries(fs.readFileSync(file, "utf8").split("\n").filter((l) => l.includes("="))
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1).replace(/^["']|["']$/g, "")]));
}

export function testbed(): Testbed {
    const env = readEnvFile();
    return {
        // E2E_HOSTS picks other test bed hosts (e.g. a benchmark beside the tests).
        hosts: (process.env.E2E_HOSTS ?? env.TESTBED_HOSTS).split(","),
        user: env.TESTBED_SSH_USER,
        keyPath: env.TESTBED_SSH_KEY,
        knownHosts: env.TESTBED_KNOWN_HOSTS,
        registry: env.TESTBED_REGISTRY,
        registryUser: env.TESTBED_REGISTRY_USER || undefined,
        registryPassword: env.TESTBED_REGISTRY_PASSWORD || undefined,
        appImage: env.TESTBED_APP_IMAGE,
    };
}

/** The outer engine's container of a test host, from the test bed's env file. */
export function hostContainer(host: string): string {
    const env = readEnvFile();
    const name = env.TESTBED_HOST_NAMES.split(",")[env.TESTBED_HOSTS.split(",").indexOf(host)];
    if (!name) throw new Error(`${host} is not a test bed host (${env.TESTBED_HOSTS})`);
    return name;
}

let cliDir: string | undefined;
function pulumiCliDir(): string {
    cliDir ??= execFileSync("bash", [path.join(REPO, "scripts/testbed/pulumi-cli.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
    return cliDir;
}

/**
 * A work dir outside the repo (Automation API writes Pulumi.yaml there) whose
 * node_modules resolve @pulumi/pulumi and pulumi-kamal to this checkout, as
 * an installed package would: the CLI's own workspace, in a tmp dir.
 */
function workDir(project: string): string {
    return prepareWorkspace(fs.mkdtempSync(path.join(os.tmpdir(), `pk-${project}-`)));
}

export interface TestStack {
    stack: Stack;
    output: string[];
    up(signal?: AbortSignal): Promise<{ summary: any; stdout: string; outputs: Record<string, any> }>;
    /** `preview --diff`: its diff on stdout, diagnostics (warnings) on stderr, as the CLI prints them. */
    preview(): Promise<{ changeSummary: any; stdout: string; stderr: string }>;
    /** The provider plugin processes serving this stack (their cwd is its work dir). */
    providerPids(): number[];
    destroy(): Promise<void>;
    /** The raw stored state files of the stack. */
    exportState(): Promise<string>;
}

export async function testStack(project: string, program: PulumiFn): Promise<TestStack> {
    const dir = workDir(project);
    const backend = path.join(dir, ".state");
    fs.mkdirSync(backend);
    const cli = pulumiCliDir();
    const pulumiCommand = await PulumiCommand.get({ root: path.dirname(cli) });
    const envVars = {
        PULUMI_BACKEND_URL: `file://${backend}`,
        PULUMI_CONFIG_PASSPHRASE: "e2e-passphrase",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_HOME: path.join(dir, ".pulumi-home"),
        PATH: `${cli}:${process.env.PATH}`,
    };
    const stack = await LocalWorkspace.createOrSelectStack(
        { stackName: "e2e", projectName: project, program },
        { workDir: dir, pulumiCommand, envVars, projectSettings: { name: project, runtime: "nodejs", backend: { url: `file://${backend}` } } },
    );
    const output: string[] = [];
    const onOutput = (s: string) => { output.push(s); if (process.env.E2E_VERBOSE) process.stdout.write(s); };
    return {
        stack,
        output,
        // An abort sends SIGINT to the Pulumi CLI: what Ctrl-C does.
        up: async (signal?: AbortSignal) => {
            const r = await stack.up({ onOutput, color: "never", signal });
            return { summary: r.summary, stdout: r.stdout, outputs: Object.fromEntries(Object.entries(r.outputs).map(([k, v]) => [k, v.value])) };
        },
        preview: async () => {
            const r = await stack.preview({ onOutput, color: "never", diff: true });
            return { changeSummary: r.changeSummary, stdout: r.stdout, stderr: r.stderr };
        },
        providerPids: () => fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p)).filter((p) => {
            try {
                return fs.readFileSync(`/proc/${p}/cmdline`, "utf8").includes("dynamic-provider") && fs.readlinkSync(`/proc/${p}/cwd`) === dir;
            } catch { return false; }
        }).map(Number),
        destroy: async () => { await stack.destroy({ onOutput, color: "never" }); },
        // The state file as stored (the Automation API's exportStack decrypts secrets, so it would not show leaks).
        exportState: async () => {
            const files: string[] = [];
            const walk = (d: string) => fs.readdirSync(d, { withFileTypes: true }).forEach((e) =>
                e.isDirectory() ? walk(path.join(d, e.name)) : e.name.endsWith(".json") && files.push(path.join(d, e.name)));
            walk(path.join(backend, ".pulumi/stacks"));
            return files.map((f) => fs.readFileSync(f, "utf8")).join("\n");
        },
    };
}

/** The system ssh client's argv for a test host: an observer independent of the code under test. */
function sshArgv(tb: Testbed, host: string, command: string): string[] {
    return ["-i", tb.keyPath, "-o", `UserKnownHostsFile=${tb.knownHosts}`, "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", `${tb.user}@${host}`, command];
}

/** Runs a command on a test host and returns its stdout. */
export function onHost(tb: Testbed, host: string, command: string): string {
    const r = spawnSync("ssh", sshArgv(tb, host, command), { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`ssh ${host} ${command}: exit ${r.status}: ${r.stderr}`);
    return r.stdout;
}

/** The same without blocking the event loop (a request loop keeps running meanwhile). */
export function onHostAsync(tb: Testbed, host: string, command: string): Promise<string> {
    return new Promise((resolve, reject) => {
        const p = spawn("ssh", sshArgv(tb, host, command), { stdio: ["ignore", "pipe", "pipe"] });
        let out = "", err = "";
        p.stdout.on("data", (d) => (out += d));
        p.stderr.on("data", (d) => (err += d));
        p.on("error", reject);
        p.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`ssh ${host} ${command}: exit ${code}: ${err.trim()}`))));
    });
}

/** Samples `ps` on a host (bounded: 60 s at most) until stopped; returns everything seen. */
export function watchProcesses(tb: Testbed, host: string): { stop(): Promise<string> } {
    const child = spawn("ssh", sshArgv(tb, host, "end=$(( $(date +%s) + 60 )); while [ $(date +%s) -lt $end ]; do ps -eo args; sleep 0.05; done"));
    let seen = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (seen += d));
    const done = new Promise<void>((r) => child.on("close", () => r()));
    return { stop: async () => { child.kill(); await done; return seen; } };
}

export function get(url: string, timeoutMs = 5000, hostHeader?: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
        const req = http.get(url, { agent: false, timeout: timeoutMs, ...(hostHeader ? { headers: { host: hostHeader } } : {}) }, (res) => {
            let body = "";
            res.setEncoding("utf8").on("data", (d) => (body += d)).on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on("timeout", () => req.destroy(new Error("timeout")));
        req.on("error", reject);
    });
}

/** One request of a request loop. */
export interface Sample { at: number; url: string; ms: number; status: number; body: string; error?: string }

export const served = (s: Sample): boolean => s.status >= 200 && s.status < 300;

export interface LoadReport {
    total: number;
    failed: number;
    failures: string[];
    versions: Record<string, number>;
    latenciesMs: number[];
    /** Every request, in order of start per URL. */
    samples: Sample[];
}

function summarize(samples: Sample[]): LoadReport {
    const report: LoadReport = { total: samples.length, failed: 0, failures: [], versions: {}, latenciesMs: [], samples };
    for (const s of samples) {
        if (!s.error) report.latenciesMs.push(s.ms);
        if (served(s)) report.versions[s.body] = (report.versions[s.body] ?? 0) + 1;
        else {
            report.failed++;
            report.failures.push(`${s.url}: ${s.error ?? `${s.status} ${s.body}`}`);
        }
    }
    return report;
}

/** A URL sent with another Host header (a role behind its own proxy host name). */
export interface HostedUrl { url: string; host: string }

/**
 * Sends requests in a loop (one at a time per URL, bounded by `maxMs`) until
 * stopped: what users see while a deploy runs. A failure is an error, a
 * timeout or a non-2xx answer.
 */
export function requestLoop(urls: (string | HostedUrl)[], maxMs = 600_000, requestTimeoutMs = 60_000): { stop(): Promise<LoadReport> } {
    const samples: Sample[] = [];
    let running = true;
    const deadline = Date.now() + maxMs;
    const loops = urls.map(async (entry) => {
        const [target, host] = typeof entry === "string" ? [entry, undefined] : [entry.url, entry.host];
        // A sample names the Host header it sent, so a report splits per proxy host.
        const url = host ? `${target} (Host: ${host})` : target;
        while (running && Date.now() < deadline) {
            const at = Date.now();
            try {
                // Clients wait as browsers do: a request held by a paused proxy is slow, not failed.
                const r = await get(target, requestTimeoutMs, host);
                samples.push({ at, url, ms: Date.now() - at, status: r.status, body: r.body.trim().slice(0, 80) });
            } catch (e) {
                samples.push({ at, url, ms: Date.now() - at, status: 0, body: "", error: (e as Error).message });
            }
            await new Promise((r) => setTimeout(r, 20));
        }
    });
    return {
        stop: async () => {
            running = false;
            await Promise.all(loops);
            return summarize(samples);
        },
    };
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        try {
            const v = await probe();
            if (v !== undefined) return v;
        } catch { /* retry */ }
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 500));
    }
}
