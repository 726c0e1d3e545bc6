/**
 * Kamal's secrets files: `.kamal/secrets-common`, then `.kamal/secrets`
 * (or `.kamal/secrets.DEST` with a destination), in dotenv format.
 *
 * The format is the Ruby dotenv gem's (3.x), with Kamal's replacement for
 * its command substitution:
 *   KEY=value                unquoted: up to a `#`, trimmed
 *   KEY='value'              single quotes: taken as written
 *   KEY="value\n"            double quotes: `\n` is a newline, may span lines
 *   export KEY=value         `export` is allowed
 *   KEY=$(command)           run with /bin/sh on the deploying machine, in the
 *                            project root, with the environment; stdout minus
 *                            one trailing newline
 *   KEY=$OTHER / ${OTHER}    a key defined earlier in the same file, else the
 *                            environment, else empty
 *   \$ and \$(...)           literal
 * `kamal secrets extract` runs here (a JSON lookup, as Kamal inlines it) and
 * other `kamal secrets ...` commands run the `kamal` CLI with their
 * arguments, escaping `fetch` output for the shell as Kamal does inline.
 *
 * Values are never logged: errors name keys, files and lines only.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

export type Env = Record<string, string | undefined>;

export interface DotenvProblem {
    line: number;
    message: string;
}

export interface DotenvResult {
    values: Map<string, string>;
    problems: DotenvProblem[];
    /** Keys whose value could not be computed (a problem names them). */
    failed: Set<string>;
}

export interface CommandRunner {
    /** Run `/bin/sh -c command`; returns stdout, or an error description (never the output). */
    shell(command: string): { stdout: string } | { error: string };
    /** Run a program with arguments, without a shell. */
    exec(program: string, args: string[]): { stdout: string } | { error: string };
}

export function processRunner(cwd: string, env: Env): CommandRunner {
    const childEnv: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(env)) if (v !== undefined) childEnv[k] = v;
    const run = (program: string, args: string[]): { stdout: string } | { error: string } => {
        const r = spawnSync(program, args, {
            cwd,
            env: childEnv,
            encoding: "utf8",
            // stdin and stderr stay the user's: password managers may prompt or explain failures.
            stdio: ["inherit", "pipe", "inherit"],
            maxBuffer: 64 * 1024 * 1024,
        });
        if (r.error) {
            const code = (r.error as NodeJS.ErrnoException).code;
            return { error: code === "ENOENT" ? `could not run: ${program} is not found on PATH` : `could not run: ${code ?? r.error.message}` };
        }
        if (r.status !== 0) return { error: r.signal ? `was killed by ${r.signal}` : `exited with status ${r.status}` };
        return { stdout: r.stdout };
    };
    return {
        shell: (command) => run("/bin/sh", ["-c", command]),
        exec: (program, args) => run(program, args),
    };
}

// dotenv's line grammar: key, optional `=` (or `: `) and a single-quoted,
// double-quoted (possibly multi-line) or unquoted value, optional comment.
const LINE =
    /^\s*(?<export>export\s+)?(?<key>[\w.]+)(?:(?:\s*=\s*?|:\s+?)(?<value>\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|[^#\n]+)?)?\s*(?:#.*)?$/dgm;
const QUOTED = /^(['"])([\s\S]*)\1$/;
const VARIABLE = /(\\)?\$(?!\()\{?([A-Z0-9_]+)?\}?/gi;

export function parseDotenv(source: string, env: Env, runner: CommandRunner): DotenvResult {
    const text = source.replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n");
    const values = new Map<string, string>();
    const problems: DotenvProblem[] = [];
    const failed = new Set<string>();
    const lineAt = (index: number) => text.slice(0, index).split("\n").length;

    for (const match of text.matchAll(LINE)) {
        const groups = match.groups!;
        const key = groups.key;
        const line = lineAt(match.indices!.groups!.key![0]);
        if (groups.export && groups.value === undefined) {
            if (!values.has(key)) problems.push({ line, message: `${key}: "export ${key}" without a value, and ${key} is not defined above` });
            continue;
        }
        const errors: string[] = [];
        const value = parseValue(groups.value ?? "", values, env, runner, errors, failed);
        if (errors.length > 0) {
            failed.add(key);
            values.delete(key);
            for (const e of errors) problems.push({ line, message: `${key}: ${e}` });
            continue;
        }
        failed.delete(key);
        values.set(key, value);
    }
    return { values, problems, failed };
}

function parseValue(raw: string, hash: Map<string, string>, env: Env, runner: CommandRunner, errors: string[], failed: Set<string>): string {
    let value = raw.trim();
    const quoted = QUOTED.exec(value);
    const quote = quoted?.[1];
    if (quoted) value = quoted[2];
    if (quote === '"') {
        const legacy = (hash.get("DOTENV_LINEBREAK_MODE") ?? env.DOTENV_LINEBREAK_MODE) === "legacy";
        value = legacy ? value.replace(/\\n/g, "\n").replace(/\\r/g, "\r") : value.replace(/\\n/g, "\\\n").replace(/\\r/g, "\\\r");
    }
    if (quote === "'") return value;
    value = value.replace(/\\([^$])/g, "$1");
    value = substituteCommands(value, hash, env, runner, errors, failed);
    return substituteVariables(value, hash, env);
}

function substituteVariables(value: string, hash: Map<string, string>, env: Env): string {
    return value.replace(VARIABLE, (whole: string, backslash: string | undefined, name: string | undefined) => {
        if (backslash) return whole.slice(1);
        if (name !== undefined) return hash.get(name) ?? env[name] ?? "";
        return whole;
    });
}

function referencedVariables(value: string): string[] {
    const names: string[] = [];
    for (const m of value.matchAll(VARIABLE)) if (!m[1] && m[2]) names.push(m[2]);
    return names;
}

/** The end (exclusive) of a balanced `( ... )` starting at `start`, as Kamal's pattern matches it, or -1. */
function commandEnd(s: string, start: number): number {
    let k = start + 1;
    let parts = 0;
    while (k < s.length) {
        const c = s[k];
        if (c === ")") return parts > 0 ? k + 1 : -1;
        if (c === "\\") {
            if (k + 1 >= s.length || s[k + 1] === "\n") return -1;
            k += 2;
        } else if (c === "(") {
            const end = commandEnd(s, k);
            if (end < 0) return -1;
            k = end;
        } else {
            k++;
        }
        parts++;
    }
    return -1;
}

function substituteCommands(value: string, hash: Map<string, string>, env: Env, runner: CommandRunner, errors: string[], failed: Set<string>): string {
    let out = "";
    let i = 0;
    while (i < value.length) {
        const escaped = value[i] === "\\" && value[i + 1] === "$" && value[i + 2] === "(";
        const dollar = escaped ? i + 1 : i;
        if (value[dollar] === "$" && value[dollar + 1] === "(") {
            const end = commandEnd(value, dollar + 1);
            if (end > 0) {
                if (escaped) {
                    out += value.slice(dollar, end);
                } else {
                    const text = value.slice(dollar + 2, end - 1);
                    const broken = referencedVariables(text).filter((name) => failed.has(name) && !hash.has(name));
                    if (broken.length > 0) {
                        // Do not run a command with a failed secret substituted as empty.
                        errors.push(`not run: it uses ${broken.map((b) => `$${b}`).join(", ")}, which could not be read`);
                    } else {
                        out += runCommand(substituteVariables(text, hash, env), runner, errors);
                    }
                }
                i = end;
                continue;
            }
        }
        out += value[i];
        i++;
    }
    return out;
}

function chomp(s: string): string {
    return s.endsWith("\r\n") ? s.slice(0, -2) : s.endsWith("\n") || s.endsWith("\r") ? s.slice(0, -1) : s;
}

function runCommand(command: string, runner: CommandRunner, errors: string[]): string {
    if (/^\s*kamal\s*secrets\s+/.test(command)) return kamalSecrets(command, runner, errors);
    const r = runner.shell(command);
    if ("error" in r) {
        // The command text is not shown: it may carry a token. The line number points at it.
        errors.push(`its $(...) command ${r.error}`);
        return "";
    }
    return chomp(r.stdout);
}

/**
 * Kamal runs `kamal secrets ...` in-process with `--inline`: `extract`
 * returns the value, `fetch` returns its JSON escaped for the shell so a
 * later `$(kamal secrets extract NAME $SECRETS)` splits it back.
 */
function kamalSecrets(command: string, runner: CommandRunner, errors: string[]): string {
    const words = shellSplit(command.trim());
    if ("error" in words) {
        errors.push(`command $(kamal secrets ...): ${words.error}`);
        return "";
    }
    const args = words.words.slice(1);
    const sub = args[1];
    if (sub === "extract") {
        const [name, json] = args.slice(2).filter((a) => !a.startsWith("--"));
        if (name === undefined || json === undefined) {
            errors.push("command $(kamal secrets extract NAME SECRETS) needs a secret name and the output of kamal secrets fetch");
            return "";
        }
        let parsed: unknown;
        try {
            parsed = JSON.parse(json);
        } catch {
            errors.push(`command $(kamal secrets extract ${name} ...): the secrets are not the JSON that kamal secrets fetch prints`);
            return "";
        }
        const entries = parsed && typeof parsed === "object" ? Object.entries(parsed as Record<string, unknown>) : [];
        const found = entries.find(([k]) => k === name) ?? entries.find(([k]) => k.endsWith(`/${name}`));
        if (!found || found[1] === null || found[1] === undefined) {
            errors.push(`command $(kamal secrets extract ${name} ...): could not find secret ${name}`);
            return "";
        }
        return String(found[1]);
    }
    const r = runner.exec("kamal", args);
    if ("error" in r) {
        const hint = r.error.includes("not found on PATH") ? " (install Kamal's CLI, or read the secret with your vault's own CLI)" : "";
        errors.push(`command $(kamal ${args.slice(0, 2).join(" ")} ...) ${r.error}${hint}`);
        return "";
    }
    const out = chomp(r.stdout);
    return sub === "fetch" ? shellEscape(out) : out;
}

/** POSIX-shell word splitting with quotes and backslashes (as Ruby's Shellwords.split). */
export function shellSplit(line: string): { words: string[] } | { error: string } {
    const words: string[] = [];
    let field: string | undefined;
    let i = 0;
    while (i < line.length) {
        const c = line[i];
        if (/\s/.test(c)) {
            if (field !== undefined) words.push(field);
            field = undefined;
            i++;
            continue;
        }
        field ??= "";
        if (c === "'") {
            const end = line.indexOf("'", i + 1);
            if (end < 0) return { error: `unmatched quote at ${i}` };
            field += line.slice(i + 1, end);
            i = end + 1;
        } else if (c === '"') {
            let j = i + 1;
            for (; j < line.length && line[j] !== '"'; j++) {
                if (line[j] === "\\" && j + 1 < line.length) {
                    const next = line[j + 1];
                    field += '$`"\\\n'.includes(next) ? next : `\\${next}`;
                    j++;
                } else field += line[j];
            }
            if (j >= line.length) return { error: `unmatched quote at ${i}` };
            i = j + 1;
        } else if (c === "\\") {
            if (i + 1 < line.length) field += line[i + 1];
            i += 2;
        } else {
            field += c;
            i++;
        }
    }
    if (field !== undefined) words.push(field);
    return { words };
}

/** Escape a string for a POSIX shell (as Ruby's Shellwords.escape). */
export function shellEscape(s: string): string {
    if (s === "") return "''";
    return s.replace(/[^A-Za-z0-9_\-.,:+/@\n]/g, "\\$&").replace(/\n/g, "'\n'");
}

export interface SecretsOptions {
    /** The project root: `secretsPath` is relative to it and commands run in it. */
    root: string;
    /** Where file names in messages are relative to. */
    cwd: string;
    /** Kamal's `secrets_path`, default `.kamal/secrets`. */
    secretsPath?: string;
    destination?: string;
    env: Env;
    /** Secrets given in code: they win over the files. */
    provided?: Record<string, pulumi.Input<string>>;
    runner?: CommandRunner;
}

export type SecretLookup = { value: pulumi.Output<string> } | { error: string } | { reported: true };

/**
 * Secrets by name: `provided` first, then the files. The files are read (and
 * their commands run) once, the first time a name is not in `provided`.
 */
export class SecretStore {
    private parsed?: { values: Map<string, string>; failed: Set<string> };
    readonly problems: { file: string; line: number; message: string }[] = [];

    constructor(private readonly options: SecretsOptions) {}

    /** Kamal's candidates: `<path>-common`, then `<path>` or `<path>.<destination>`; later files win. */
    candidates(): string[] {
        const base = path.resolve(this.options.root, this.options.secretsPath ?? ".kamal/secrets");
        return [`${base}-common`, this.options.destination ? `${base}.${this.options.destination}` : base];
    }

    existingFiles(): string[] {
        return this.candidates().filter((f) => fs.existsSync(f) && fs.statSync(f).isFile());
    }

    display(file: string): string {
        const rel = path.relative(this.options.cwd, file);
        return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : file;
    }

    get(name: string): SecretLookup {
        const provided = this.options.provided;
        if (provided && Object.prototype.hasOwnProperty.call(provided, name) && provided[name] !== undefined) {
            return { value: pulumi.secret(provided[name]) };
        }
        const parsed = this.load();
        if (parsed.values.has(name)) return { value: pulumi.secret(parsed.values.get(name)!) };
        if (parsed.failed.has(name)) return { reported: true };
        const files = this.existingFiles().map((f) => this.display(f));
        const fromOption = provided ? "the secrets option" : undefined;
        if (files.length > 0) return { error: `secret "${name}" not found in ${[fromOption, ...files].filter(Boolean).join(", ")}` };
        const candidates = this.candidates().map((f) => this.display(f)).join(", ");
        return { error: `secret "${name}" not found${fromOption ? " in the secrets option" : ""}; no secrets file (${candidates}) exists` };
    }

    private load(): { values: Map<string, string>; failed: Set<string> } {
        if (this.parsed) return this.parsed;
        const values = new Map<string, string>();
        const failed = new Set<string>();
        const runner = this.options.runner ?? processRunner(this.options.root, this.options.env);
        for (const file of this.existingFiles()) {
            const result = parseDotenv(fs.readFileSync(file, "utf8"), this.options.env, runner);
            for (const p of result.problems) this.problems.push({ file: this.display(file), line: p.line, message: p.message });
            for (const [k, v] of result.values) {
                values.set(k, v);
                failed.delete(k);
            }
            for (const k of result.failed) {
                failed.add(k);
                values.delete(k);
            }
        }
        this.parsed = { values, failed };
        return this.parsed;
    }
}
