/** Real-shell helpers for the command tests: what a remote `sh -c` makes of a command line, in a PATH where nothing destructive can run. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, symlinkSync } from "node:fs";
import { join as pathJoin } from "node:path";
import { join } from "../../provider/commands/shell";

/**
 * A PATH holding only `sh` and `touch`: if quoting ever broke, an injected
 * `touch` leaves a canary file, and nothing destructive (no `rm`) can run.
 */
export function confinedEnv(dir: string): NodeJS.ProcessEnv {
    const bin = pathJoin(dir, ".bin");
    mkdirSync(bin, { recursive: true });
    for (const tool of ["sh", "touch"]) {
        const found = spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
        if (!existsSync(pathJoin(bin, tool))) symlinkSync(found, pathJoin(bin, tool));
    }
    return { PATH: bin };
}

/** How a remote shell (SSH runs `sh -c <line>`) parses a command line: each resulting word, NUL-separated. */
export function shellWords(line: string, cwd: string): string[] {
    const r = spawnSync("/bin/sh", ["-c", `printf '%s\\0' ${line}`], { cwd, encoding: "utf8", env: confinedEnv(cwd) });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.split("\0").slice(0, -1);
}

/** Runs `join(argv)` through a real `sh -c`, as SshTransport does; returns the argv the program received. */
export function roundTrip(args: string[], cwd: string): string[] {
    const line = join(["sh", "-c", 'printf "%s\\0" "$@"', "sh", ...args]);
    const r = spawnSync("/bin/sh", ["-c", line], { cwd, encoding: "utf8", env: confinedEnv(cwd) });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.split("\0").slice(0, -1);
}
