/**
 * A Pulumi user's machine for the end-to-end tests: the package as `npm pack`
 * publishes it, examples/ projects copied out of the repository with that
 * tarball installed, and the Pulumi CLI run as a user types it (logged in to
 * a file:// backend, secrets under a passphrase), with the test bed's
 * language host on PATH.
 */
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pack } from "../package/pack";
import { REPO } from "./harness";

export interface CliResult {
    code: number | null;
    stdout: string;
    stderr: string;
}

/** Runs `command ARGS`, collecting its output (echoed with E2E_VERBOSE); never rejects on a non-zero exit. */
export function capture(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; stdin?: string }): Promise<CliResult> {
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ["pipe", "pipe", "pipe"] });
        let stdout = "", stderr = "";
        child.stdout.setEncoding("utf8").on("data", (d: string) => { stdout += d; if (process.env.E2E_VERBOSE) process.stdout.write(d); });
        child.stderr.setEncoding("utf8").on("data", (d: string) => { stderr += d; if (process.env.E2E_VERBOSE) process.stderr.write(d); });
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, stdout, stderr }));
        child.stdin.end(options.stdin ?? "");
    });
}

/** A failed command's exit code and the ends of its output, for assertion messages. */
export const explain = (r: CliResult): string =>
    `exit ${r.code}\n--- stdout (end)\n${r.stdout.slice(-4000)}\n--- stderr (end)\n${r.stderr.slice(-4000)}`;

const script = (name: string) =>
    execFileSync("bash", [path.join(REPO, "scripts/testbed", name)], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();

export class UserMachine {
    readonly root = fs.mkdtempSync(path.join(os.tmpdir(), "pk-user-"));
    readonly stateDir = path.join(this.root, "state");
    readonly env: NodeJS.ProcessEnv;

    constructor(extraEnv: Record<string, string> = {}) {
        const env: NodeJS.ProcessEnv = {
            ...process.env,
            // The CLI, and the language plugin it finds on PATH for `runtime: nodejs`.
            PATH: [script("pulumi-cli.sh"), script("language-host.sh"), process.env.PATH].join(path.delimiter),
            PULUMI_HOME: path.join(this.root, ".pulumi-home"),
            PULUMI_CONFIG_PASSPHRASE: "user-passphrase",
            PULUMI_SKIP_UPDATE_CHECK: "true",
            ...extraEnv,
        };
        for (const k of ["PULUMI_BACKEND_URL", "PULUMI_ACCESS_TOKEN", "PULUMI_CLI_DIR", "PULUMI_STACK"]) delete env[k];
        this.env = env;
        fs.mkdirSync(this.stateDir);
    }

    /** What would be published (see test/package/pack.ts). */
    pack(): string {
        return pack().tarball;
    }

    /** examples/NAME copied out of the repository, with the packed package installed into it. */
    install(name: string): string {
        const dir = path.join(this.root, name);
        fs.cpSync(path.join(REPO, "examples", name), dir, { recursive: true, filter: (src) => !src.includes("node_modules") });
        execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", this.pack()], { cwd: dir, stdio: ["ignore", "ignore", "inherit"] });
        return dir;
    }

    /** `pulumi ARGS` in `dir`; `stdin` is piped in (as `pulumi config set --secret k < file`). */
    pulumi(dir: string, args: string[], stdin?: string): Promise<CliResult> {
        return capture("pulumi", [...args, "--color", "never"], { cwd: dir, env: this.env, stdin });
    }

    /** The same, failing with the command's output unless it exits 0; returns stdout. */
    async ok(dir: string, args: string[], stdin?: string): Promise<string> {
        const r = await this.pulumi(dir, args, stdin);
        if (r.code !== 0) {
            throw new Error(`pulumi ${args.join(" ")} (in ${dir}): ${explain(r)}`);
        }
        return r.stdout;
    }

    /** Every stored state file, raw (the CLI's exports would decrypt secrets). */
    rawState(): string {
        const out: string[] = [];
        const walk = (d: string) => fs.readdirSync(d, { withFileTypes: true }).forEach((e) =>
            e.isDirectory() ? walk(path.join(d, e.name)) : out.push(fs.readFileSync(path.join(d, e.name), "utf8")));
        walk(this.stateDir);
        return out.join("\n");
    }

    cleanup() {
        fs.rmSync(this.root, { recursive: true, force: true });
    }
}
