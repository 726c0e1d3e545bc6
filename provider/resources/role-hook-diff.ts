/**
 * When a post-app-boot hook runs again. It re-runs for a new host, a new
 * container, or a changed command/env/version/runOn; never for a change in
 * how the hosts are reached (SSH user, key, port, known_hosts, pins, jump host).
 */
import { changedKeys, isUnknown } from "./common";
import type { HookTarget, RoleHookInputs } from "./role-hook";

/** What a hook ran on: each host and its container, without the SSH settings. */
function ranOn(targets: readonly HookTarget[]): string {
    return JSON.stringify(targets.map((t) => [t.connection?.host ?? null, t.containerId, t.containerName]));
}

/**
 * The keys of `keys` whose change re-runs the hook. Targets still unknown
 * (preview, while their containers update in place) are no reason yet: the
 * engine diffs again with the real values before `up` runs anything.
 */
export function rerunKeys(olds: Partial<RoleHookInputs>, news: RoleHookInputs, keys: readonly (keyof RoleHookInputs)[]): string[] {
    return keys.filter((k) => {
        if (k !== "targets") return changedKeys(olds, news, [k]).length > 0;
        if (isUnknown(news.targets)) return false;
        return ranOn(olds.targets ?? []) !== ranOn(news.targets);
    }).map(String);
}
