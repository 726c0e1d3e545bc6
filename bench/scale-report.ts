/** The scale benchmark's figures and its markdown tables. */

export interface DeployFigures {
    mode: "ours" | "kamal";
    hosts: number;
    containers: number;
    version: string;
    parallel?: number;
    /** `up` start -> returned (Kamal's ordering: -> its global hook done over ssh). */
    wallMs: number;
    upMs: number;
    /** `up` start -> the engine's last output line (the CLI's summary): `pulumi up` without the Automation API's two follow-up commands. */
    engineMs: number;
    criticalMs: number;
    chain: string[];
    steps: { node: string; step: string; ms: number }[];
    /** Pulumi's fixed costs: `up` start -> first resource operation; last operation -> `up` returned. */
    beforeFirstOpMs?: number;
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
    /** Machine CPU busy fraction during the deploy (2 cores: 1.0 = both saturated). */
    cpuBusy: number;
    load1: number;
    load1After: number;
}

export interface NoopFigures { containers: number; upMs: number; previewMs: number }

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
const label = (d: DeployFigures) => `${d.mode === "ours" ? "ours" : "Kamal's ordering"}, ${d.version === "v1" && d.requests === 0 ? "v1" : `→ ${d.version}`}`;
const range = (v: number[]) => (v.length ? (Math.min(...v) === Math.max(...v) ? `${v[0]}` : `${Math.min(...v)}–${Math.max(...v)}`) : "–");

export function render(r: Report): string {
    const main = r.deploys.filter((d) => d.parallel === undefined);
    const lines = [
        `Scale benchmark: code ${r.code}, ${r.date}, ${r.nproc} CPUs, ${r.ramGiB.toFixed(0)} GiB RAM, ${r.seconds.toFixed(0)} s in all.`,
        "",
        "| hosts | containers | deploy | wall (s) | engine (s) | critical path (s) | engine / critical | before 1st op / after last op (s) | failed / requests | SSH logins per host | SSH commands | peak RSS provider / engine / program (MiB) | CPU busy | load 1 min (before → after) |",
        "|--:|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
        ...main.map((d) => `| ${d.hosts} | ${d.containers} | ${label(d)} | ${s(d.wallMs)} | ${s(d.engineMs)} | ${s(d.criticalMs)} | ${(d.engineMs / d.criticalMs).toFixed(2)} `
            + `| ${s(d.beforeFirstOpMs)} / ${s(d.afterLastOpMs)} | ${d.requests ? `${d.failed} / ${d.requests}` : "–"} | ${range(d.logins)} | ${d.sshCommands} `
            + `| ${d.providerMiB.toFixed(0)} / ${d.engineMiB.toFixed(0)} / ${d.programMiB.toFixed(0)} | ${(d.cpuBusy * 100).toFixed(0)} % | ${d.load1.toFixed(1)} → ${d.load1After.toFixed(1)} |`),
    ];
    const ours = main.find((d) => d.mode === "ours" && d.version !== "v1");
    const kamal = main.find((d) => d.mode === "kamal" && d.version !== "v1");
    if (ours && kamal) {
        // Kamal's wall time includes its global hook over ssh after `up`; compare like with like (both include the Automation API's tail).
        lines.push("", "| hosts | v1 → v3: ours (s) | Kamal's ordering (s) | ours / Kamal's | work done: ours / Kamal's critical path (s) |", "|--:|--:|--:|--:|--:|",
            `| ${ours.hosts} | ${s(ours.wallMs)} | ${s(kamal.wallMs)} | ${(ours.wallMs / kamal.wallMs).toFixed(2)} | ${s(ours.criticalMs)} / ${s(kamal.criticalMs)} |`);
    }
    for (const d of main.filter((x) => x.version !== "v1")) {
        lines.push("", `Critical path, ${label(d)} at ${d.hosts} hosts (${s(d.criticalMs)} s): ${d.chain.join(" → ")}`,
            `steps: ${d.steps.map((x) => `${x.node} ${x.step} ${x.ms}`).join(", ")} (ms)`);
    }
    const par = r.deploys.filter((d) => d.parallel !== undefined || (d.mode === "ours" && d.version !== "v1" && r.deploys.some((x) => x.parallel !== undefined)));
    if (par.some((d) => d.parallel !== undefined)) {
        lines.push("", "| hosts | --parallel | deploy | wall (s) | engine (s) | critical path (s) | engine / critical | failed |", "|--:|--:|---|--:|--:|--:|--:|--:|",
            ...par.map((d) => `| ${d.hosts} | ${d.parallel ?? "default"} | → ${d.version} | ${s(d.wallMs)} | ${s(d.engineMs)} | ${s(d.criticalMs)} | ${(d.engineMs / d.criticalMs).toFixed(2)} | ${d.failed} |`));
    }
    if (r.noops.length) {
        lines.push("", "| containers | no-op up (s) | no-op preview (s) |", "|--:|--:|--:|",
            ...[...r.noops].sort((a, b) => a.containers - b.containers).map((n) => `| ${n.containers} | ${s(n.upMs)} | ${s(n.previewMs)} |`));
    }
    return lines.join("\n");
}
