/**
 * The engine runner behind `pulumi-kamal deploy|preview|destroy`: loads
 * config/deploy.yml, then runs it as an inline Pulumi program through the
 * Automation API with a local state backend in the project.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { KamalApp } from "../components/KamalApp";
import { loadDeployConfig, LoadedDeployConfig } from "../config/deploy-yml";
import { KamalConfigError } from "../config/validate";
import { projectRoot } from "../config/project";
import { EXIT } from "./exit";

export type Command = "deploy" | "preview" | "refresh" | "destroy";

export interface RunOptions {
    command: Command;
    destination?: string;
    /** Kamal's `-c`: the deploy file, relative to `cwd`. Default: config/deploy.yml, found from `cwd` upward. */
    configFile?: string;
    cwd?: string;
    /** For the config's ERB and secrets, the passphrase and finding `pulumi`. Default `process.env`. */
    env?: NodeJS.ProcessEnv;
    /** A Pulumi backend URL for the state. Default: PULUMI_BACKEND_URL, else the project's .kamal/pulumi-state. */
    backend?: string;
    /** deploy: refresh the state from the hosts first (default true), so drift is repaired. */
    refresh?: boolean;
}

/**
 * Where the state lives: --backend, else PULUMI_BACKEND_URL (shared state:
 * S3-compatible, a shared directory, Pulumi Cloud), else the project's own
 * directory. `dir` is set for file:// backends, where stacks are plain files.
 */
export function stateBackend(opts: Pick<RunOptions, "backend">, env: NodeJS.ProcessEnv, projectStateDir: string): { url: string; dir?: string } {
    const url = opts.backend ?? (env.PULUMI_BACKEND_URL || undefined) ?? `file://${projectStateDir}`;
    if (!url.startsWith("file://")) return { url };
    const dir = url.slice("file://".length).replace(/^~(?=\/|$)/, env.HOME ?? "~");
    return { url, dir: path.resolve(dir) };
}

function stackFileExists(backendDir: string, project: string, stack: string): boolean {
    return ["json", "json.gz"].some((ext) => fs.existsSync(path.join(backendDir, ".pulumi", "stacks", project, `${stack}.${ext}`)));
}

/** The Automation API options of one command (deploy refreshes first unless told not to). */
export function operationOptions(opts: Pick<RunOptions, "command" | "refresh">): { refresh?: boolean; diff?: boolean; remove?: boolean } {
    switch (opts.command) {
        case "deploy": return { refresh: opts.refresh !== false };
        case "preview": return { diff: true };
        case "refresh": return {};
        case "destroy": return { remove: true }; // Kamal's `remove`: nothing of the stack is kept
    }
}

export interface Io {
    stdout: NodeJS.WritableStream & { isTTY?: boolean };
    stderr: NodeJS.WritableStream & { isTTY?: boolean };
    stdin: NodeJS.ReadStream;
}

export { EXIT };

/** A problem found before anything ran: exit 2 with this text. */
export class UsageError extends Error {}

export const STATE_DIR = path.join(".kamal", "pulumi-state");

export interface Project {
    /** The directory holding config/ (and .kamal/). */
    root: string;
    /** The deploy file, absolute. */
    file: string;
}

/** Where the deploy file and the project root are. */
export function findProject(cwd: string, configFile?: string): Project {
    if (configFile !== undefined) {
        const file = path.resolve(cwd, configFile);
        if (!fs.existsSync(file)) throw new UsageError(`${configFile}: configuration file not found`);
        return { root: projectRoot(file, cwd), file };
    }
    for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
        const file = path.join(dir, "config", "deploy.yml");
        if (fs.existsSync(file)) return { root: dir, file };
        if (path.dirname(dir) === dir) break;
    }
    throw new UsageError(`no config/deploy.yml in ${cwd} or any directory above it: run pulumi-kamal in your Kamal project, or pass -c FILE`);
}

/**
 * The directory holding the `pulumi` executable: PULUMI_CLI_DIR when set (an
 * explicit choice wins), else the one on PATH.
 */
export function findPulumiCli(env: NodeJS.ProcessEnv): string {
    const executable = (f: string) => {
        try {
            fs.accessSync(f, fs.constants.X_OK);
            return fs.statSync(f).isFile();
        } catch {
            return false;
        }
    };
    if (env.PULUMI_CLI_DIR) {
        if (executable(path.join(env.PULUMI_CLI_DIR, "pulumi"))) return path.resolve(env.PULUMI_CLI_DIR);
        throw new UsageError(`PULUMI_CLI_DIR=${env.PULUMI_CLI_DIR} holds no pulumi executable: point it at the directory with \`pulumi\`, or unset it to use the one on PATH`);
    }
    for (const dir of (env.PATH ?? "").split(path.delimiter).filter(Boolean)) {
        // The real location: the engine finds its bundled plugins beside it.
        if (executable(path.join(dir, "pulumi"))) return path.dirname(fs.realpathSync(path.join(dir, "pulumi")));
    }
    throw new UsageError(
        [
            "the Pulumi CLI is not installed: pulumi-kamal runs Pulumi's deployment engine, which is the `pulumi` program.",
            "Install it with `curl -fsSL https://get.pulumi.com | sh` (or `brew install pulumi/tap/pulumi`; see https://www.pulumi.com/docs/iac/download-install/),",
            "then make sure `pulumi` is on PATH, or set PULUMI_CLI_DIR to the directory holding it.",
        ].join("\n"),
    );
}

/** This package's root and @pulumi/pulumi's, as the running CLI resolved them. */
function packageDirs(): { kamal: string; pulumi: string } {
    return {
        kamal: path.resolve(__dirname, "../.."),
        pulumi: path.dirname(require.resolve("@pulumi/pulumi/package.json")),
    };
}

function link(target: string, at: string): void {
    try {
        if (fs.readlinkSync(at) === target) return;
        fs.unlinkSync(at);
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "EINVAL") fs.rmSync(at, { recursive: true, force: true });
    }
    fs.symlinkSync(target, at, "dir");
}

/**
 * The Automation API's work dir (Pulumi.yaml, Pulumi.STACK.yaml with the
 * passphrase's salt). The dynamic-provider process runs there and loads
 * `@pulumi/pulumi` and `pulumi-kamal/provider` from its node_modules: links to
 * the packages this CLI runs from, whether installed in the project, globally
 * or in npx's cache. Nothing is written to the project root itself.
 */
export function prepareWorkspace(stateDir: string): string {
    const dir = path.join(stateDir, "workspace");
    const { kamal, pulumi: pulumiDir } = packageDirs();
    fs.mkdirSync(path.join(dir, "node_modules", "@pulumi"), { recursive: true });
    link(pulumiDir, path.join(dir, "node_modules", "@pulumi", "pulumi"));
    link(kamal, path.join(dir, "node_modules", "pulumi-kamal"));
    const pkg = path.join(dir, "package.json");
    if (!fs.existsSync(pkg)) fs.writeFileSync(pkg, `${JSON.stringify({ name: "pulumi-kamal-workspace", private: true }, null, 2)}\n`);
    const ignore = path.join(dir, ".gitignore");
    if (!fs.existsSync(ignore)) fs.writeFileSync(ignore, "node_modules/\n");
    return dir;
}

/** Pulumi's launcher for dynamic providers, when the CLI does not ship one beside it. */
function providerLauncher(cliDir: string, workspace: string): string | undefined {
    const name = "pulumi-resource-pulumi-nodejs";
    if (fs.existsSync(path.join(cliDir, name))) return undefined;
    const bin = path.join(workspace, "bin");
    fs.mkdirSync(bin, { recursive: true });
    const entry = require.resolve("@pulumi/pulumi/cmd/dynamic-provider/index.js");
    fs.writeFileSync(path.join(bin, name), `#!/bin/sh\nexec "${process.execPath}" "${entry}" "$@"\n`, { mode: 0o755 });
    return bin;
}

/** `pulumi` must live in a `bin` directory for PulumiCommand.get: link it into one when it does not. */
function cliRoot(cliDir: string, workspace: string): string {
    if (path.basename(cliDir) === "bin") return path.dirname(cliDir);
    const root = path.join(workspace, "pulumi-cli");
    fs.mkdirSync(path.join(root, "bin"), { recursive: true });
    const at = path.join(root, "bin", "pulumi");
    fs.rmSync(at, { force: true });
    fs.symlinkSync(path.join(cliDir, "pulumi"), at);
    return root;
}

/** Asks for the passphrase on the terminal without echoing it. */
function askHidden(io: Io, prompt: string): Promise<string> {
    const stdin = io.stdin;
    io.stderr.write(prompt);
    return new Promise((resolve, reject) => {
        let value = "";
        const done = () => {
            stdin.setRawMode(false);
            stdin.pause();
            stdin.off("data", onData);
            io.stderr.write("\n");
        };
        const onData = (chunk: Buffer | string) => {
            for (const ch of chunk.toString()) {
                if (ch === "\r" || ch === "\n") {
                    done();
                    return resolve(value);
                }
                if (ch === "\u0003" || ch === "\u0004") {
                    done();
                    return reject(new UsageError("no passphrase given"));
                }
                if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
                else value += ch;
            }
        };
        stdin.setRawMode(true);
        stdin.resume();
        stdin.on("data", onData);
    });
}

/**
 * The state's passphrase: PULUMI_CONFIG_PASSPHRASE(_FILE) from the
 * environment, else asked for on a terminal (twice for a new stack).
 */
async function passphrase(env: NodeJS.ProcessEnv, io: Io, isNew: boolean): Promise<Record<string, string>> {
    if (env.PULUMI_CONFIG_PASSPHRASE !== undefined) return { PULUMI_CONFIG_PASSPHRASE: env.PULUMI_CONFIG_PASSPHRASE };
    if (env.PULUMI_CONFIG_PASSPHRASE_FILE) return { PULUMI_CONFIG_PASSPHRASE_FILE: env.PULUMI_CONFIG_PASSPHRASE_FILE };
    const fix =
        "PULUMI_CONFIG_PASSPHRASE is not set: the deploy state in .kamal/pulumi-state encrypts secrets with it.\n" +
        "Set it (export PULUMI_CONFIG_PASSPHRASE=...), or PULUMI_CONFIG_PASSPHRASE_FILE to a file holding it, or run in a terminal to be asked for it.";
    if (!io.stdin.isTTY || !io.stderr.isTTY || typeof io.stdin.setRawMode !== "function") throw new UsageError(fix);
    const value = await askHidden(io, isNew ? "Choose a passphrase for the deploy state: " : "Passphrase for the deploy state: ");
    if (isNew && (await askHidden(io, "Again: ")) !== value) throw new UsageError("the passphrases differ");
    return { PULUMI_CONFIG_PASSPHRASE: value };
}

/** The program: the app from the loaded config; its URLs, version and containers per host are the stack's outputs. */
function program(loaded: LoadedDeployConfig) {
    return async () => {
        const app = new KamalApp(String(loaded.args.service), loaded.args);
        return { url: app.url, urls: app.urls, version: app.version, containers: app.containers };
    };
}

/** Runs one command; returns the exit code. Writes only to `io`. */
export async function run(opts: RunOptions, io: Io): Promise<number> {
    const env = opts.env ?? process.env;
    const cwd = opts.cwd ?? process.cwd();
    const say = (line: string) => io.stderr.write(`pulumi-kamal: ${line}\n`);
    try {
        // 1. The config: every problem is reported here, before any host is touched.
        const project = findProject(cwd, opts.configFile);
        let loaded: LoadedDeployConfig;
        try {
            loaded = loadDeployConfig({ cwd: project.root, file: project.file, destination: opts.destination, env });
        } catch (e) {
            if (e instanceof KamalConfigError) {
                io.stderr.write(`${e.message}\n`);
                return EXIT.usage;
            }
            throw e;
        }
        for (const w of loaded.warnings) io.stderr.write(`warning: ${w}\n`);

        // 2. The engine and the state.
        const projectName = String(loaded.args.service);
        const stackName = opts.destination ?? "default";
        const stateDir = path.join(project.root, STATE_DIR);
        const { url: backend, dir: backendDir } = stateBackend(opts, env, stateDir);
        const where = backendDir === stateDir ? path.relative(cwd, stateDir) || stateDir : backend;
        const cliDir = findPulumiCli(env);
        const nothingToDo = (isNew: boolean) => {
            if (!isNew || (opts.command !== "destroy" && opts.command !== "refresh")) return false;
            say(`nothing to ${opts.command}: no deployed stack "${stackName}" for ${projectName} in ${where}`);
            return true;
        };
        // A file backend's stacks are files: decide (and ask for the passphrase) before writing anything.
        let isNew = backendDir ? !stackFileExists(backendDir, projectName, stackName) : undefined;
        if (isNew !== undefined && nothingToDo(isNew)) return EXIT.ok;
        let secrets = isNew !== undefined ? await passphrase(env, io, isNew) : undefined;

        fs.mkdirSync(stateDir, { recursive: true });
        if (backendDir) fs.mkdirSync(backendDir, { recursive: true });
        const workDir = prepareWorkspace(stateDir);
        const launcherDir = providerLauncher(cliDir, workDir);
        let pulumiCommand: PulumiCommand;
        try {
            pulumiCommand = await PulumiCommand.get({ root: cliRoot(cliDir, workDir) });
        } catch (e) {
            throw new UsageError(`the Pulumi CLI in ${cliDir} cannot be used: ${(e as Error).message.trim()}`);
        }
        const engineEnv: Record<string, string> = {
            PULUMI_BACKEND_URL: backend,
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PATH: [cliDir, ...(launcherDir ? [launcherDir] : []), env.PATH ?? ""].join(path.delimiter),
        };
        const projectSettings = { name: projectName, runtime: "nodejs" as const, backend: { url: backend } };
        if (isNew === undefined || secrets === undefined) {
            // Other backends (S3, Pulumi Cloud): ask the backend which stacks exist.
            const ws = await LocalWorkspace.create({ workDir, pulumiCommand, envVars: engineEnv, projectSettings });
            isNew = !(await ws.listStacks()).some((s) => s.name === stackName || s.name.endsWith(`/${stackName}`));
            if (nothingToDo(isNew)) return EXIT.ok;
            secrets = await passphrase(env, io, isNew);
        }
        const envVars: Record<string, string> = { ...engineEnv, ...secrets };
        const stack: Stack = await LocalWorkspace.createOrSelectStack(
            { stackName, projectName, program: program(loaded) },
            { workDir, pulumiCommand, envVars, projectSettings },
        );

        // 3. The operation, with Pulumi's progress and the hooks' output as they come.
        const abort = new AbortController();
        let interrupted = 0;
        const onSignal = (signal: NodeJS.Signals) => {
            if (++interrupted > 1) {
                say("stopping now");
                process.exit(EXIT.interrupted);
            }
            say(`${signal}: cancelling; steps under way finish or roll back (press Ctrl-C again to stop at once)`);
            // A terminal's Ctrl-C reaches the whole foreground process group, Pulumi included: pass on only what it did not get.
            if (!(signal === "SIGINT" && io.stdin.isTTY)) abort.abort();
        };
        process.on("SIGINT", onSignal);
        process.on("SIGTERM", onSignal);
        const color = io.stdout.isTTY && !env.NO_COLOR && env.TERM !== "dumb" ? "always" : "never";
        let streamed = false;
        const common = {
            color,
            signal: abort.signal,
            onOutput: (s: string) => {
                streamed = true;
                io.stdout.write(s);
            },
            onError: (s: string) => {
                streamed = true;
                io.stderr.write(s);
            },
        } as const;
        try {
            const options = { ...common, ...operationOptions(opts) };
            if (opts.command === "deploy") await stack.up(options);
            else if (opts.command === "preview") await stack.preview(options);
            else if (opts.command === "refresh") await stack.refresh(options);
            else await stack.destroy(options);
        } catch (e) {
            if (interrupted) {
                say(`${opts.command} interrupted`);
                return EXIT.interrupted;
            }
            // Pulumi's own output above already says what failed.
            say(`${opts.command} failed (stack ${stackName} of ${projectName}, state in ${where})`);
            if (!streamed) io.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
            return EXIT.failed;
        } finally {
            process.off("SIGINT", onSignal);
            process.off("SIGTERM", onSignal);
        }
        return EXIT.ok;
    } catch (e) {
        if (e instanceof UsageError) {
            io.stderr.write(`pulumi-kamal: ${e.message}\n`);
            return EXIT.usage;
        }
        io.stderr.write(`pulumi-kamal: could not start: ${e instanceof Error ? e.message : String(e)}\n`);
        return EXIT.failed;
    }
}
