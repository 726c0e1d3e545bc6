/**
 * Pure builders for the `docker` commands a deploy runs: each returns an argv
 * array and nothing runs here. Modelled on Kamal's lib/kamal/commands.
 */

export type Argv = string[];

export type DockerOptionValue = string | number | boolean | string[];

export const KAMAL_NETWORK = "kamal";

export interface RunSpec {
    name: string;
    image: string;
    cmd?: string[];
    /** Env passed as `--env` (never secrets: those go in envFile). */
    env: Record<string, string>;
    envFile?: string;
    labels: Record<string, string>;
    volumes: string[];
    logging?: { driver?: string; options?: Record<string, string> };
    /** Kamal's role `options`: `{ memory: "1g" }` -> `--memory 1g`. */
    options?: Record<string, DockerOptionValue>;
    network?: string;
    /** Kamal's `--hostname HOST-HEX`: unique per container, so logs and metrics tell containers apart. */
    hostname?: string;
    /** A `restart` role option wins over this (Kamal's restart_policy); default unless-stopped. */
    restart?: string;
    publish?: string[];
}

/** `--key value` pairs from a map, in a stable order. */
function pairs(flag: string, map: Record<string, string>, sep = "="): Argv {
    return Object.keys(map).sort().flatMap((k) => [flag, `${k}${sep}${map[k]}`]);
}

export function options(map: Record<string, DockerOptionValue> = {}): Argv {
    return Object.keys(map).sort().flatMap((key) => {
        const value = map[key];
        const flag = `--${key}`;
        if (value === true) return [flag];
        if (value === false) return [];
        if (Array.isArray(value)) return value.flatMap((v) => [flag, v]);
        return [flag, String(value)];
    });
}

export const run = (spec: RunSpec): Argv => ["docker", "run", "--detach", ...containerFlags(spec)];

/** The container exactly as `run` would start it, left unstarted (a role held by a `paused` hook starts after it). */
export const create = (spec: RunSpec): Argv => ["docker", "create", ...containerFlags(spec)];

function containerFlags(spec: RunSpec): string[] {
    // `restart` among the role options is the restart policy, never a second --restart flag.
    const { restart: restartOption, ...otherOptions } = spec.options ?? {};
    const restart = restartOption !== undefined && typeof restartOption !== "boolean" ? String(restartOption) : spec.restart ?? "unless-stopped";
    const logging = spec.logging?.driver || spec.logging?.options
        ? [...(spec.logging.driver ? ["--log-driver", spec.logging.driver] : []), ...pairs("--log-opt", spec.logging.options ?? {})]
        : ["--log-opt", "max-size=10m"]; // Kamal's default: bounded logs
    return [
        "--restart", restart,
        "--name", spec.name,
        "--network", spec.network ?? KAMAL_NETWORK,
        ...(spec.hostname ? ["--hostname", spec.hostname] : []),
        ...(spec.publish ?? []).flatMap((p) => ["--publish", p]),
        ...pairs("--env", spec.env),
        ...(spec.envFile ? ["--env-file", spec.envFile] : []),
        ...logging,
        ...spec.volumes.flatMap((v) => ["--volume", v]),
        ...pairs("--label", spec.labels),
        ...options(otherOptions),
        spec.image,
        ...(spec.cmd ?? []),
    ];
}

export const networkInspect = (name = KAMAL_NETWORK): Argv => ["docker", "network", "inspect", "--format", "{{.Name}}", name];
export const networkCreate = (name = KAMAL_NETWORK): Argv => ["docker", "network", "create", name];
/** Networks whose name contains `name` (Docker's filter is a substring match): `ID<TAB>NAME<TAB>CREATED`. */
export const networkList = (name = KAMAL_NETWORK): Argv =>
    ["docker", "network", "ls", "--no-trunc", "--filter", `name=${name}`, "--format", "{{.ID}}\t{{.Name}}\t{{.CreatedAt}}"];
/** How many containers one network (by ID) has attached. */
export const networkContainers = (id: string): Argv => ["docker", "network", "inspect", "--format", "{{len .Containers}}", id];
export const networkRemove = (id: string): Argv => ["docker", "network", "rm", id];

export const imageInspect = (image: string): Argv => ["docker", "image", "inspect", "--format", "{{.Id}}", image];
export const pull = (image: string): Argv => ["docker", "pull", image];

/** One JSON line of State, Id and Name, or exit 1 when no such container. */
export const inspectContainer = (ref: string): Argv =>
    ["docker", "container", "inspect", "--format", "{{json .State}}\t{{.Id}}\t{{.Name}}", ref];

export const stop = (ref: string, timeoutSeconds?: number): Argv =>
    ["docker", "stop", ...(timeoutSeconds !== undefined ? ["--time", String(timeoutSeconds)] : []), ref];
export const start = (ref: string): Argv => ["docker", "start", ref];
export const remove = (...refs: string[]): Argv => ["docker", "rm", "--force", ...refs];
export const rename = (ref: string, to: string): Argv => ["docker", "rename", ref, to];
export const logs = (ref: string, tail = 20): Argv => ["docker", "logs", "--tail", String(tail), ref];

/** Every container of a role, any state: `ID<TAB>NAME<TAB>STATE<TAB>CREATED<TAB>DESTINATION`. */
export const listRoleContainers = (service: string, role: string): Argv => [
    "docker", "ps", "--all", "--no-trunc",
    "--filter", `label=service=${service}`,
    "--filter", `label=role=${role}`,
    "--format", '{{.ID}}\t{{.Names}}\t{{.State}}\t{{.CreatedAt}}\t{{.Label "destination"}}',
];

export const exec = (container: string, argv: string[], env: Record<string, string> = {}): Argv =>
    ["docker", "exec", ...pairs("--env", env), container, ...argv];

/**
 * Writes stdin to `$HOME/<path>`, readable only by its owner, and prints the
 * absolute path: how env files reach hosts without secrets touching argv.
 * Safe when run concurrently: each writer has its own temp file (renamed into
 * place atomically), and a directory removed meanwhile by removeFile is made again.
 */
export const writePrivateFile = (path: string): Argv => ["sh", "-c", [
    'cd "$HOME" && umask 077 && t=$(mktemp "$HOME/.kamal-write.XXXXXX") || exit 1',
    'cat > "$t" || { rm -f "$t"; exit 1; }',
    'i=0; while [ $i -lt 20 ]; do i=$((i+1)); mkdir -p "$(dirname "$1")" && mv "$t" "$1" 2>/dev/null && { printf %s "$PWD/$1"; exit 0; }; done',
    'rm -f "$t"; echo "cannot write $1" >&2; exit 1',
].join("\n"), "sh", path];
/** Removes `$HOME/<path>` and the directories it leaves empty. */
export const removeFile = (path: string): Argv =>
    ["sh", "-c", 'cd "$HOME" && rm -f "$1" && { rmdir -p "$(dirname "$1")" 2>/dev/null || true; }', "sh", path];
