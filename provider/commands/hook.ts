/** Pure builders for running a role's post-app-boot hook inside its new container. */
import { Argv, exec } from "./docker";

/** A string runs through `sh -c` (as Kamal users write hooks); an argv runs as is, no shell. */
export function hookArgv(command: string | string[]): string[] {
    return typeof command === "string" ? ["sh", "-c", command] : command;
}

/** Where a hook runs: `primary` on the role's first host only, `all` on every host. */
export function hookHosts<T>(runOn: "primary" | "all", hosts: readonly T[]): T[] {
    return runOn === "all" ? [...hosts] : hosts.slice(0, 1);
}

/** `docker exec` of the hook, tagged with a unique id so a timeout can find and stop it. */
export function runHook(container: string, command: string | string[], env: Record<string, string>, hookId: string): Argv {
    return exec(container, hookArgv(command), { ...env, KAMAL_HOOK_ID: hookId });
}

/**
 * Killing `docker exec`'s client does not stop the process inside the
 * container, so a timed-out hook is found by its KAMAL_HOOK_ID and signalled.
 */
export function killHook(container: string, hookId: string, signal: "TERM" | "KILL" = "TERM"): Argv {
    const script = `for p in /proc/[0-9]*; do if tr '\\0' '\\n' < "$p/environ" 2>/dev/null | grep -qx "KAMAL_HOOK_ID=$1"; then kill -${signal} "\${p#/proc/}" 2>/dev/null; fi; done; true`;
    return exec(container, ["sh", "-c", script, "sh", hookId]);
}

/** The paused switch's watchdog: see ./watchdog. */
export { armWatchdog, disarmWatchdog, extendWatchdog, watchdogToken } from "./watchdog";

/**
 * Hooks still running in the role's running containers on a host (an earlier
 * deploy lost its connection before it could stop its hook): one
 * `CONTAINER HOOK_ID` line each. Containers of other destinations are skipped.
 */
export function findHooks(service: string, role: string, destination = ""): Argv {
    const scan = `for p in /proc/[0-9]*; do tr '\\0' '\\n' < "$p/environ" 2>/dev/null | grep '^KAMAL_HOOK_ID=' | cut -d= -f2-; done | sort -u`;
    const script = [
        `docker ps --no-trunc --filter "label=service=$1" --filter "label=role=$2" --format '{{.ID}}\t{{.Label "destination"}}' |`,
        `while IFS='\t' read -r c d; do [ "$d" = "$3" ] || continue; docker exec "$c" sh -c "$4" </dev/null 2>/dev/null | sed "s/^/$c /"; done; true`,
    ].join(" ");
    return ["sh", "-c", script, "sh", service, role, destination, scan];
}
