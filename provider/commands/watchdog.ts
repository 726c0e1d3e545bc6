/**
 * The paused switch's dead man's switch, as pure argv builders.
 *
 * It runs inside the kamal-proxy container (`docker exec -d`), not in the SSH
 * session: logind's KillUserProcesses, a SIGHUP or a dropped connection cannot
 * take it down, and its actions are kamal-proxy's own CLI there. It is keyed
 * by a token file, never a PID: the file holds the deadline (epoch seconds),
 * removing it disarms exactly this watchdog, rewriting it extends the deadline.
 * It fires only once the clock passes the deadline (whole seconds, rounded
 * up, so never early; a killed `sleep` just means another look), and claims
 * the file with `mv` first, so a disarm and a firing never both win. Tokens
 * start with the kamal-proxy service (`SERVICE.UUID`), so the next deploy of
 * that service can disarm the watchdogs a dead one left.
 */
import { Argv } from "./docker";
import { PROXY_CONTAINER } from "./proxy";
import { join } from "./shell";

const inProxy = (detach: boolean, ...argv: string[]): Argv => ["docker", "exec", ...(detach ? ["-d"] : []), PROXY_CONTAINER, ...argv];

const FILE_PREFIX = "/tmp/kamal-watchdog-";

/** Where the token file lives inside the kamal-proxy container. */
export function watchdogFile(token: string): string {
    // Room for any kamal-proxy service name (SERVICE-ROLE-DESTINATION) before the UUID, within a file name's 255 bytes.
    if (!/^[A-Za-z0-9_.-]{8,200}$/.test(token) || token.includes("..")) throw new Error(`watchdog token "${token}" must be 8-200 letters, digits, '_', '-' or single '.'`);
    return `${FILE_PREFIX}${token}`;
}

/** A token for `service`'s watchdog: the service, then a unique part (a UUID). */
export function watchdogToken(service: string, unique: string): string {
    return `${service}.${unique}`;
}

/**
 * Disarms every watchdog armed for `service` that has not fired: only run
 * under the deploy lock, when any such watchdog was left by a deploy that
 * died (firing later, it would route back under a new deploy). Prints the
 * files it removed.
 */
export function disarmStaleWatchdogs(service: string): Argv {
    if (!/^[A-Za-z0-9_-]+$/.test(service)) throw new Error(`kamal-proxy service "${service}" must be letters, digits, '_' or '-'`);
    const script = 'for f in "$1"*; do case $f in *.fired) ;; *) rm "$f" 2>/dev/null && echo "$f";; esac; done; true';
    return inProxy(false, "sh", "-c", script, "sh", `${FILE_PREFIX}${service}.`);
}

/** Writes the deadline; fails (so the deploy stops before pausing) if the image lacks the tools the loop needs. */
const ARM = 'now=$(date +%s) || exit 1; case $now in ""|*[!0-9]*) exit 1;; esac; '
    + "command -v sleep >/dev/null || exit 1; command -v mv >/dev/null || exit 1; "
    + 'find /tmp -maxdepth 1 -name "kamal-watchdog-*.fired" -mmin +1440 -exec rm -f {} + 2>/dev/null; '
    + 'echo $((now + $2 + 1)) > "$1"';

/** Waits for the deadline in the file; gone file = disarmed; claims it, then runs the actions. */
const LOOP = 'while :; do d=$(cat "$1" 2>/dev/null) || exit 0; '
    + 'case $d in ""|*[!0-9]*) ;; *) [ "$(date +%s)" -ge "$d" ] && break;; esac; sleep 1; done; '
    + 'mv "$1" "$1.fired" 2>/dev/null || exit 0; sh -c "$2"';

/** A kamal-proxy CLI argv (`docker exec kamal-proxy kamal-proxy ...`) as it runs inside the container. */
function proxyArgs(argv: Argv): Argv {
    const prefix = inProxy(false, "kamal-proxy");
    if (prefix.some((w, i) => argv[i] !== w)) throw new Error(`the watchdog only runs kamal-proxy commands, not: ${join(argv)}`);
    return argv.slice(prefix.length - 1);
}

/**
 * Arms the watchdog: after `seconds` unless disarmed, it runs `rollback` (a
 * kamal-proxy command, e.g. the deploy back to the previous container), then
 * resumes `service`. The caller makes `token` unique (a UUID) and keeps it.
 */
export function armWatchdog(service: string, rollback: Argv | undefined, seconds: number, token: string): Argv {
    const file = watchdogFile(token);
    const actions = [...(rollback ? [proxyArgs(rollback)] : []), ["kamal-proxy", "resume", service]].map(join).join("; ");
    const arm = inProxy(false, "sh", "-c", ARM, "sh", file, String(Math.ceil(seconds)));
    const loop = inProxy(true, "sh", "-c", LOOP, "sh", file, actions);
    return ["sh", "-c", `${join(arm)} && ${join(loop)}`];
}

/** Disarms exactly this watchdog; exits non-zero when it already fired (or was never armed). */
export function disarmWatchdog(token: string): Argv {
    return inProxy(false, "rm", watchdogFile(token));
}

/** Moves the deadline to `seconds` from now; exits non-zero, changing nothing, when the watchdog already fired. */
export function extendWatchdog(token: string, seconds: number): Argv {
    const script = '[ -e "$1" ] || exit 3; echo $(($(date +%s) + $2 + 1)) > "$1"; if [ -e "$1.fired" ]; then rm -f "$1"; exit 3; fi';
    return inProxy(false, "sh", "-c", script, "sh", watchdogFile(token), String(Math.ceil(seconds)));
}
