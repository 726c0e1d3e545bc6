/**
 * Pure builders for what Kamal 2 itself relies on, on the host: the image
 * names and tags its `app boot`, `app exec` and `rollback` run, its container
 * hostnames, its env file encoding, its pruning and its audit log. Written
 * from reading Kamal's command classes so both tools leave the same layout.
 */
import type { Argv } from "./docker";

/** The image name without tag or digest: Kamal's `repository` (registry server already prefixed). */
export function repositoryOf(image: string): string {
    const noDigest = image.replace(/@sha256:[0-9a-f]+$/, "");
    const lastSlash = noDigest.lastIndexOf("/");
    const colon = noDigest.indexOf(":", lastSlash + 1);
    return colon >= 0 ? noDigest.slice(0, colon) : noDigest;
}

/** `REPO:VERSION`: what Kamal's `app boot` and `rollback VERSION` run. */
export const absoluteImage = (image: string, version: string): string => `${repositoryOf(image)}:${version}`;

/** `latest[-DESTINATION]`: the tag Kamal moves after each boot and runs for `app exec` by default. */
export const latestTag = (destination?: string): string => ["latest", destination].filter(Boolean).join("-");
export const latestImage = (image: string, destination?: string): string => `${repositoryOf(image)}:${latestTag(destination)}`;

/** Docker tags: 1-128 of letters, digits, `_`, `.`, `-`, not starting with `.` or `-`. */
export const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Kamal's `--hostname`: the host's first 51 characters without a trailing dot, then 12 hex digits. */
export function containerHostname(host: string, hex: string): string {
    const base = host.slice(0, 51).replace(/\.$/, "").replace(/[^A-Za-z0-9.-]/g, "-");
    return `${base}-${hex}`;
}

const NAMED_ESCAPES: Record<string, string> = {
    "\n": "\\n", "\r": "\\r", "\t": "\\t", "\f": "\\f", "\v": "\\v", "\b": "\\b", "\x07": "\\a", "\x1b": "\\e", "\\": "\\\\",
};

/**
 * One env file value as Kamal's env file writer encodes it: ASCII escaped as
 * Ruby's String#dump would (backslashes doubled, control characters as
 * escapes), double quotes and `#` kept literal, non-ASCII kept as is. Docker
 * reads env files literally, so the container sees exactly what Kamal's would.
 */
export function escapeEnvFileValue(value: string): string {
    let out = "";
    for (const ch of value) {
        const code = ch.codePointAt(0)!;
        if (NAMED_ESCAPES[ch]) out += NAMED_ESCAPES[ch];
        else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).toUpperCase().padStart(2, "0")}`;
        else out += ch;
    }
    return out;
}

/** Kamal's env file: `KEY=escaped value` lines; an empty env is a single newline. */
export function envFile(env: Record<string, string>): string {
    const body = Object.keys(env).sort().map((k) => `${k}=${escapeEnvFileValue(env[k])}\n`).join("");
    return body || "\n";
}

/** The image's ID and labels (JSON, `null` when none), or exit 1 when absent. */
export const imageConfig = (image: string): Argv => ["docker", "image", "inspect", "--format", "{{.Id}}\t{{json .Config.Labels}}", image];
export const tag = (source: string, target: string): Argv => ["docker", "tag", source, target];

/**
 * A local image identical to the one given (same layers) plus labels, tagged
 * `target`: Kamal's prune and deploy look images up by their `service` label,
 * which images built without Kamal lack. Stdin: `FROM <image id>`.
 */
export const labelImage = (target: string, labels: Record<string, string>): Argv => [
    "env", "DOCKER_BUILDKIT=0", "docker", "build", "--quiet",
    ...Object.keys(labels).sort().flatMap((k) => ["--label", `${k}=${labels[k]}`]),
    "--tag", target, "-",
];

/**
 * Stopped containers of the whole service (every role and destination),
 * newest first, as Kamal's prune lists them but for `created`: a role held by
 * a `paused` hook waits created until the hook starts it, and another role's
 * switch may prune meanwhile. (A failed `docker run` leaves no Created one.)
 */
export const stoppedServiceContainers = (service: string): Argv => [
    "docker", "ps", "-q", "-a", "--filter", `label=service=${service}`,
    "--filter", "status=exited", "--filter", "status=dead",
];

/** The images any container of the service uses (by the reference it was run with). */
export const serviceContainerImages = (service: string): Argv =>
    ["docker", "container", "ls", "-a", "--format", "{{.Image}}", "--filter", `label=service=${service}`];

/** The service's images: `ID REPOSITORY:TAG` lines. */
export const serviceImages = (service: string): Argv =>
    ["docker", "image", "ls", "--filter", `label=service=${service}`, "--format", "{{.ID}} {{.Repository}}:{{.Tag}}"];

export const pruneDanglingImages = (service: string): Argv =>
    ["docker", "image", "prune", "--force", "--filter", `label=service=${service}`];

export const removeContainer = (id: string): Argv => ["docker", "rm", id];
export const removeImage = (ref: string): Argv => ["docker", "rmi", ref];

/**
 * Tags Kamal's `prune images` keeps: those some container of the service was
 * run from, the latest tag, and untagged images (pruned as dangling instead).
 */
export function imagesToRemove(images: string, inUse: string[], latest: string): string[] {
    const keep = new Set([...inUse, latest, `${repositoryOf(latest)}:<none>`]);
    return images.split("\n").map((l) => l.trim().split(" ")[1]).filter((ref): ref is string => !!ref && !ref.endsWith(":<none>") && !keep.has(ref));
}

/** `.kamal/SERVICE[-DESTINATION]-audit.log`, relative to the SSH user's home. */
export const auditLogPath = (service: string, destination?: string): string =>
    `.kamal/${[service, destination, "audit.log"].filter(Boolean).join("-")}`;

/** Kamal's audit line: `[time] [performer] [destination] [role] message`, absent tags left out. */
export function auditLine(message: string, tags: { at: Date; performer: string; destination?: string; role?: string }): string {
    const values = [tags.at.toISOString().replace(/\.\d{3}Z$/, "Z"), tags.performer, tags.destination, tags.role].filter(Boolean);
    return `${values.map((v) => `[${v}]`).join(" ")} ${message}`;
}

/** Appends one line to the audit log, creating `.kamal` as Kamal does. */
export const appendAudit = (path: string, line: string): Argv =>
    ["sh", "-c", 'cd "$HOME" && mkdir -p "$(dirname "$1")" && printf "%s\\n" "$2" >> "$1"', "sh", path, line];

/** Kamal's `audit`: the log's last 50 lines. */
export const revealAudit = (path: string): Argv => ["tail", "-n", "50", path];

/** SHA-256 of `$HOME/<path>` (sha256sum's line), or exit 1 when the file is missing: how `refresh` checks an env file. */
export const fileDigest = (path: string): Argv => ["sh", "-c", 'cd "$HOME" && sha256sum < "$1"', "sh", path];

/** kamal-proxy's per-app directory on the host, under the SSH user's home (Kamal's app_directory). */
export const proxyAppHostDir = (service: string, destination?: string): string =>
    `.kamal/proxy/apps-config/${[service, destination].filter(Boolean).join("-")}`;

/** Writes stdin to `$HOME/<path>` with `mode` (kamal-proxy runs as another user: Kamal uploads these 0644). */
export const writeProxyFile = (path: string, mode = "644"): Argv =>
    ["sh", "-c", 'cd "$HOME" && mkdir -p "$(dirname "$1")" && cat > "$1.tmp" && chmod "$2" "$1.tmp" && mv "$1.tmp" "$1"', "sh", path, mode];

/** Removes a directory under `$HOME/.kamal/proxy/apps-config` (a destroyed role's certificate and key). */
export const removeProxyDir = (path: string): Argv =>
    ["sh", "-c", 'cd "$HOME" && case "$1" in .kamal/proxy/apps-config/?*) rm -rf "$1" ;; *) exit 2 ;; esac', "sh", path];

/** Kamal's clean_up_error_pages: every version's pages but `version`'s. */
export const cleanErrorPages = (dir: string, version: string): Argv =>
    ["sh", "-c", 'cd "$HOME" && [ ! -d "$1" ] || find "$1" -mindepth 1 -maxdepth 1 ! -name "$2" -exec rm -rf {} +', "sh", dir, version];

/** Error page file names kamal-proxy serves (Kamal uploads `{4??,5??}.html`). */
export const ERROR_PAGE = /^[45]\d\d\.html$/;

/** Who a container or hook is: the names Kamal hands to them. */
export interface KamalIdentity {
    service: string;
    role: string;
    destination?: string;
    version: string;
    host: string;
    containerName: string;
}

/**
 * The KAMAL_* env a role's containers and its hooks see, as Kamal sets it
 * (KAMAL_DESTINATION only with a destination). The one place these names live.
 */
export function kamalEnv(i: KamalIdentity): Record<string, string> {
    return {
        KAMAL_SERVICE: i.service,
        KAMAL_ROLE: i.role,
        KAMAL_HOST: i.host,
        KAMAL_VERSION: i.version,
        KAMAL_CONTAINER_NAME: i.containerName,
        ...(i.destination ? { KAMAL_DESTINATION: i.destination } : {}),
    };
}
