/** The scale benchmark's figures and its markdown tables. */
import * as fs from "node:fs";

export interface DeployFigures {
    mode: "ours" | "kamal";
    hosts: number;
    containers: number;
    version: string;
    parallel?: number;
    /** `up` start -> returned (Kamal's ordering: -> its global hook done over ssh). */
    wallMs: number;
    upMs: number;
    /** `up` start -> the engine's last output line (its summary): the CLI's own time. */
    engineMs: number;
    criticalMs: number;
    chain: string[];
    steps: { node: string; step: string; ms: number }[];
    /** `up` start -> first resource operation: CLI start, program, plugin start, diffs. */
    beforeFirstOpMs?: number;
    /** First resource operation's start -> last one's end. */
    workMs?: number;
    /** Last operation's end -> the engine's summary. */
    afterLastOpMs?: number;
    operations: number;
    sshCommands: number;
    /** Per host, in host order. */
    logins: number[];
    failed: number;
    requests: number;
    providerMiB: number;
    engineMiB: number;
    programMiB: number;
    /** Machine CPU busy fraction during the deploy (1.0 = every core busy). */
    cpuBusy: number;
    load1: number;
    load1After: number;
    /** Set when rows of several runs are rendered together. */
    code?: string;
}

export interface NoopFigures { containers: number; hosts?: number; upMs: number; previewMs: number; code?: string }

export interface Report {
    code: string;
    date: string;
    nproc: number;
    ramGiB: number;
    seconds: number;
    deploys: DeployFigures[];
    noops: NoopFigures[];
}

const s = (ms?: number) => (ms === undefined ? "–" : (ms / 1000).toFixed(1));
const x = (a?: number, b?: number) => (a === undefined || !b ? "–" : (a / b).toFixed(2));
const label = (d: DeployFigures) => `${d.mode === "ours" ? "ours" : "Kamal's ordering"}, ${d.version === "v1" && d.requests === 0 ? "v1" : `→ ${d.version}`}`;
const range = (v: number[]) => (v.length ? (Math.min(...v) === Math.max(...v) ? `${v[0]}` : `${Math.min(...v)}–${Math.max(...v)}`) : "–");
const isRollout = (d: DeployFigures) => d.requests > 0;

function tables(deploys: DeployFigures[], noops: NoopFigures[]): string[] {
    const tagged = deploys.some((d) => d.code);
    const code = (d: { code?: string }) => (tagged ? `| ${d.code ?? ""} ` : "");
    const codeHead = tagged ? "| code " : "";
    const codeSep = tagged ? "|---" : "";
    const main = deploys.filter((d) => d.parallel === undefined);
    const lines = [
        `${codeHead}| hosts | containers | deploy | wall (s) | before 1st op (s) | work (s) | critical path (s) | work / critical | wall / critical | engine tail / Automation API tail (s) | failed / requests | SSH logins per host | SSH commands | peak RSS provider / engine / program (MiB) | CPU busy | load 1 min |`,
        `${codeSep}|--:|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|`,
        ...main.map((d) => `${code(d)}| ${d.hosts} | ${d.containers} | ${label(d)} | ${s(d.wallMs)} | ${s(d.beforeFirstOpMs)} | ${s(d.workMs)} | ${s(d.criticalMs)} `
            + `| ${x(d.workMs, d.criticalMs)} | ${x(d.wallMs, d.criticalMs)} | ${s(d.afterLastOpMs)} / ${s(d.upMs - d.engineMs)} `
            + `| ${d.requests ? `${d.failed} / ${d.requests}` : "–"} | ${range(d.logins)} | ${d.sshCommands} `
            + `| ${d.providerMiB.toFixed(0)} / ${d.engineMiB.toFixed(0)} / ${d.programMiB.toFixed(0)} | ${(d.cpuBusy * 100).toFixed(0)} % | ${d.load1.toFixed(1)} → ${d.load1After.toFixed(1)} |`),
    ];
    // Ours against Kamal's ordering, per run (code) and host count. Kamal's wall includes its global hook over ssh after `up`.
    const pairs = main.filter((d) => d.mode === "ours" && isRollout(d)).flatMap((o) => {
        const k = main.find((d) => d.mode === "kamal" && isRollout(d) && d.hosts === o.hosts && d.code === o.code);
        return k ? [[o, k]] : [];
    });
    if (pairs.length) {
        lines.push("", `${codeHead}| hosts | v1 → v3 wall: ours (s) | Kamal's ordering (s) | ours / Kamal's | work: ours / Kamal's (s) | ours / Kamal's |`, `${codeSep}|--:|--:|--:|--:|--:|--:|`,
            ...pairs.map(([o, k]) => `${code(o)}| ${o.hosts} | ${s(o.wallMs)} | ${s(k.wallMs)} | ${x(o.wallMs, k.wallMs)} | ${s(o.workMs)} / ${s(k.workMs)} | ${x(o.workMs, k.workMs)} |`));
    }
    for (const d of main.filter(isRollout)) {
        lines.push("", `Critical path${tagged ? ` (${d.code})` : ""}, ${label(d)} at ${d.hosts} hosts (${s(d.criticalMs)} s): ${d.chain.join(" → ")}  `,
            `steps (ms): ${d.steps.map((st) => `${st.node} ${st.step} ${st.ms}`).join(", ")}`);
    }
    const par = deploys.filter((d) => d.parallel !== undefined);
    if (par.length) {
        const base = main.filter((d) => d.mode === "ours" && isRollout(d) && par.some((p) => p.hosts === d.hosts && p.code === d.code));
        lines.push("", `${codeHead}| hosts | --parallel | deploy | wall (s) | work (s) | critical path (s) | work / critical | CPU busy | failed |`, `${codeSep}|--:|--:|---|--:|--:|--:|--:|--:|--:|`,
            ...[...base, ...par].map((d) => `${code(d)}| ${d.hosts} | ${d.parallel ?? "default"} | → ${d.version} | ${s(d.wallMs)} | ${s(d.workMs)} | ${s(d.criticalMs)} | ${x(d.workMs, d.criticalMs)} | ${(d.cpuBusy * 100).toFixed(0)} % | ${d.failed} |`));
    }
    if (noops.length) {
        lines.push("", `${codeHead}| containers | hosts | no-op up (s) | no-op preview (s) |`, `${codeSep}|--:|--:|--:|--:|`,
            ...[...noops].sort((a, b) => a.containers - b.containers || (a.hosts ?? 0) - (b.hosts ?? 0) || (a.code ?? "").localeCompare(b.code ?? ""))
                .map((n) => `${code(n)}| ${n.containers} | ${n.hosts ?? "–"} | ${s(n.upMs)} | ${s(n.previewMs)} |`));
    }
    return lines;
}

export function render(r: Report): string {
    return [`Scale benchmark: code ${r.code}, ${r.date}, ${r.nproc} CPUs, ${r.ramGiB.toFixed(0)} GiB RAM, ${r.seconds.toFixed(0)} s in all.`, "", ...tables(r.deploys, r.noops)].join("\n");
}

/** Saved runs (the --json files) as one set of tables, each row tagged with its run's code. */
export function renderSaved(files: string[]): string {
    const runs = files.map((f) => JSON.parse(fs.readFileSync(f, "utf8")) as { code?: string; hosts?: string[]; deploys: DeployFigures[]; noops: NoopFigures[] });
    const tag = <T>(code: string | undefined, rows: T[]) => rows.map((row) => ({ ...row, code: code ?? "?" }));
    const deploys = runs.flatMap((r) => tag(r.code, r.deploys)).sort((a, b) => a.hosts - b.hosts);
    const noops = runs.flatMap((r) => tag(r.code, r.noops.map((n) => ({ hosts: r.hosts?.length, ...n }))));
    return tables(deploys, noops).join("\n");
}
