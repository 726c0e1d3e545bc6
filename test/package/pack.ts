/**
 * `npm pack` of this repository, once per test process (or the tarball
 * PULUMI_KAMAL_TARBALL names): what a user installs. The tests that need the
 * published package share one tarball.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const REPO = path.resolve(__dirname, "../../..");

export interface Packed {
    /** The .tgz file. */
    tarball: string;
    /** Paths inside the package, as npm lists them (e.g. "dist/index.js"). */
    files: string[];
    /** The tarball unpacked (its `package/` directory). */
    unpacked: string;
}

let packed: Packed | undefined;

export function npmEnv(): NodeJS.ProcessEnv {
    // Quiet, and never a prompt or an audit request.
    return { ...process.env, npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false" };
}

/** `npm pack` of the package in `source` (its prepack builds it) into `destination`; the tarball's path. */
export function npmPack(source: string, destination: string): string {
    const out = execFileSync("npm", ["pack", "--silent", "--pack-destination", destination], {
        cwd: source, env: npmEnv(), encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20,
    });
    return path.join(destination, out.trim().split("\n").pop()!);
}

export function pack(): Packed {
    if (packed) return packed;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pk-pack-"));
    // scripts/test.sh packs once for every test process: `npm pack` rebuilds dist/
    // (prepack), which must not happen under e2e tests running at the same time.
    const tarball = process.env.PULUMI_KAMAL_TARBALL ?? npmPack(REPO, dir);
    execFileSync("tar", ["-xzf", tarball, "-C", dir]);
    const files = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).split("\n").filter((f) => f && !f.endsWith("/"))
        .map((f) => f.replace(/^package\//, ""));
    packed = { tarball, files: files.sort(), unpacked: path.join(dir, "package") };
    return packed;
}

/** A fresh project with the tarball and `extra` packages installed (from npm's cache when it has them). */
export function consumerProject(extra: string[], first: string[] = []): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pk-consumer-"));
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", private: true }));
    const install = (pkgs: string[]) => execFileSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", ...pkgs],
        { cwd: dir, env: npmEnv(), stdio: ["ignore", "pipe", "pipe"] });
    if (first.length) install(first);
    install([pack().tarball, ...extra]);
    return dir;
}

/** `npm ls --all --parseable` paths of a package: one per installed copy. */
export function copiesOf(dir: string, pkg: string): string[] {
    const r = spawnSync("npm", ["ls", pkg, "--all", "--parseable"], { cwd: dir, env: npmEnv(), encoding: "utf8" });
    return [...new Set(r.stdout.split("\n").filter((l) => l.endsWith(path.join("node_modules", pkg))))];
}
