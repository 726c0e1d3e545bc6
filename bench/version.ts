import { execFileSync } from "node:child_process";
import { REPO } from "../test/e2e/harness";

/** The commit measured (BENCH_COMMIT for a copy without .git), "+dirty" with local changes. */
export function codeVersion(): string {
    if (process.env.BENCH_COMMIT) return process.env.BENCH_COMMIT;
    try {
        const head = execFileSync("git", ["-C", REPO, "rev-parse", "--short", "HEAD"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
        const dirty = execFileSync("git", ["-C", REPO, "status", "--porcelain", "--untracked-files=no"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
        return dirty ? `${head}+dirty` : head;
    } catch {
        return "unknown";
    }
}
