/**
 * What the scale benchmark observes from outside the code under test: SSH
 * logins in the hosts' sshd logs, peak memory of the Pulumi processes, the
 * machine's CPU use and load. Linux only (/proc).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";

/** The test bed's host container names, in host order (testbed.env's TESTBED_HOST_NAMES). */
export function hostNames(envFile: string): string[] {
    const line = fs.readFileSync(envFile, "utf8").split("\n").find((l) => l.startsWith("TESTBED_HOST_NAMES="));
    return line ? line.slice(line.indexOf("=") + 1).split(",").filter(Boolean) : [];
}

/** Successful SSH logins on a host container between two instants (sshd -e logs to the container's stderr). */
export function sshLogins(container: string, since: number, until: number): number {
    const iso = (ms: number) => new Date(ms).toISOString();
    const r = spawnSync("docker", ["logs", "--since", iso(since), "--until", iso(until), container], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`docker logs ${container}: ${r.stderr}`);
    return `${r.stdout}${r.stderr}`.split("\n").filter((l) => l.startsWith("Accepted publickey")).length;
}

/** The 1-minute load average. */
export const loadAvg = (): number => Number(fs.readFileSync("/proc/loadavg", "utf8").split(" ")[0]);

/** CPU busy fraction of the whole machine between two snapshots of /proc/stat. */
export function cpuMeter(): () => number {
    const snap = () => {
        const f = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
        const idle = f[3] + (f[4] ?? 0);
        return { idle, total: f.reduce((a, b) => a + b, 0) };
    };
    const a = snap();
    return () => {
        const b = snap();
        return b.total === a.total ? 0 : 1 - (b.idle - a.idle) / (b.total - a.total);
    };
}

const kib = (status: string, field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? 0);

/**
 * Samples peak RSS (VmHWM) of the processes working in `dir` (the dynamic
 * provider, the engine, the language host) and this process's RSS (the
 * inline program runs here), every `everyMs`, until stopped. MiB.
 */
export function rssSampler(dir: string, everyMs = 250): { stop(): { providerMiB: number; engineMiB: number; programMiB: number } } {
    const peak = { providerMiB: 0, engineMiB: 0, programMiB: 0 };
    const sample = () => {
        peak.programMiB = Math.max(peak.programMiB, process.memoryUsage().rss / 2 ** 20);
        for (const pid of fs.readdirSync("/proc")) {
            if (!/^\d+$/.test(pid)) continue;
            try {
                if (fs.readlinkSync(`/proc/${pid}/cwd`) !== dir) continue;
                const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
                const hwm = kib(fs.readFileSync(`/proc/${pid}/status`, "utf8"), "VmHWM") / 1024;
                if (cmd.includes("dynamic-provider")) peak.providerMiB = Math.max(peak.providerMiB, hwm);
                else if (/(^|\/)pulumi\0/.test(cmd)) peak.engineMiB = Math.max(peak.engineMiB, hwm);
            } catch { /* gone meanwhile */ }
        }
    };
    sample();
    const timer = setInterval(sample, everyMs);
    return { stop: () => { clearInterval(timer); sample(); return { ...peak }; } };
}
