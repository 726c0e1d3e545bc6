/**
 * The fault suite as a report: runs every fault of test/e2e/faults.ts against
 * a real deploy on the test bed and writes the table into RELIABILITY.md
 * (between its `faults` markers), printing it too.
 *
 *   npm run bench:faults -- [--only "registry"] [--no-write]
 *
 * Hosts: the test bed's first two (E2E_HOSTS=a,b picks others).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO, testbed } from "../test/e2e/harness";
import { cleanHosts, FAULTS, faultStack, FaultOutcome, runFault } from "../test/e2e/faults";
import { codeVersion } from "./version";

const BEGIN = "<!-- faults:begin -->";
const END = "<!-- faults:end -->";

function table(outcomes: FaultOutcome[], promised: Map<string, boolean>): string {
    const cell = (s: string) => s.replace(/\|/g, "\\|");
    const rows = outcomes.map((o) => [
        o.fault,
        cell(o.saw),
        `${o.failedRequests} / ${o.requests}${promised.get(o.fault) ? " (promised 0)" : ""}`,
        o.saw === "deploy succeeded" ? "—" : o.secondsToFail.toFixed(1),
        o.pausedRoutes.length ? cell(o.pausedRoutes.join("; ")) : "none",
        o.secondsToConverge.toFixed(1),
        o.servedAfter.join(", ") + (o.runningAfter.every((n) => n === 1) && !o.leftoverRoutes.length ? "" : ` (left behind: ${o.runningAfter.join("/")} containers, ${o.leftoverRoutes.length} routes)`),
    ]);
    return [
        "| fault | what the user saw | failed requests | s to fail | routes left paused | s to converge (next `up`) | serving after |",
        "|---|---|---|---|---|---|---|",
        ...rows.map((r) => `| ${r.join(" | ")} |`),
    ].join("\n");
}

async function main(): Promise<void> {
    const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : undefined;
    const write = !process.argv.includes("--no-write");
    const faults = FAULTS.filter((f) => !only || f.name.includes(only));
    const tb = testbed();
    let version = "v1";
    cleanHosts(tb);
    const stack = await faultStack(tb, () => version);
    const outcomes: FaultOutcome[] = [];
    try {
        await stack.up();
        for (const fault of faults) {
            version = version === "v1" ? "v3" : "v1";
            process.stderr.write(`fault: ${fault.name} (to ${version})\n`);
            outcomes.push(await runFault(tb, stack, fault, version));
        }
    } finally {
        await stack.destroy().catch(() => undefined);
        cleanHosts(tb);
    }
    const text = [
        `Measured ${new Date().toISOString().slice(0, 10)} at ${codeVersion()} on ${os.cpus().length} cores; web on two hosts behind kamal-proxy,`,
        "a 10 s before-traffic hook, a request loop on both hosts during each deploy. Each fault hits a deploy from v1 to v3 or back.",
        "",
        table(outcomes, new Map(faults.map((f) => [f.name, f.zeroFailures]))),
    ].join("\n");
    console.log(text);
    if (write) {
        const file = path.join(REPO, "RELIABILITY.md");
        const doc = fs.readFileSync(file, "utf8");
        const [head, rest] = doc.split(BEGIN);
        fs.writeFileSync(file, `${head}${BEGIN}\n${text}\n${END}${rest.split(END)[1]}`);
        console.error(`wrote ${file}`);
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
