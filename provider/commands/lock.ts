/**
 * Pure builders for the deploy lock, in Kamal's layout so Kamal and we block
 * each other: the directory `~/.kamal/locks/SERVICE[-DESTINATION]` on the
 * primary host (made with an atomic `mkdir`), holding `details`, base64 text
 * with Kamal's `Locked by:`, `Version:` and `Message:` lines. Ours add
 * `Lease: TOKEN` and `Expires: EPOCH` (host clock), renewed while the deploy
 * runs, so a lock whose holder died expires; Kamal's locks have no lease and
 * never expire (as in Kamal: `kamal lock release`).
 */
import type { Argv } from "./docker";

export const lockDir = (service: string, destination?: string): string =>
    `.kamal/locks/${[service, destination].filter(Boolean).join("-")}`;

/** Prints `held`, the host's clock, the lock dir's mtime, then the decoded details; or `none`. */
const SHOW = 'echo held; date +%s; stat -c %Y "$1" 2>/dev/null || echo 0; base64 -d "$1/details" 2>/dev/null || true';

const sh = (script: string, ...args: string[]): Argv => ["sh", "-c", script, "sh", ...args];

/**
 * Takes the lock when free (prints `acquired`), else shows who holds it.
 * `$2` is the details text, `$3` the lease in seconds.
 */
export const acquire = (dir: string, details: string, leaseSeconds: number): Argv => sh([
    'cd "$HOME" && mkdir -p "$(dirname "$1")" || exit 3',
    'if mkdir "$1" 2>/dev/null; then',
    '  { printf "%s\\n" "$2"; echo "Expires: $(( $(date +%s) + $3 ))"; } | base64 > "$1/details" && echo acquired && exit 0',
    '  rm -rf "$1"; exit 3',
    "fi",
    SHOW,
].join("\n"), dir, details, String(leaseSeconds));

export const status = (dir: string): Argv => sh(`cd "$HOME" && [ -d "$1" ] || { echo none; exit 0; }\n${SHOW}`, dir);

/** Pushes our lease's expiry forward; exit 4 when the lock is no longer ours. */
export const renew = (dir: string, token: string, leaseSeconds: number): Argv => sh([
    'cd "$HOME" && d=$(base64 -d "$1/details" 2>/dev/null) && printf "%s\\n" "$d" | grep -qxF "Lease: $2" || exit 4',
    '{ printf "%s\\n" "$d" | grep -v "^Expires: "; echo "Expires: $(( $(date +%s) + $3 ))"; } | base64 > "$1/details.$$" && mv "$1/details.$$" "$1/details"',
].join("\n"), dir, token, String(leaseSeconds));

/** Removes the lock only if it is still ours (exit 4 otherwise). */
export const release = (dir: string, token: string): Argv => sh(
    'cd "$HOME" && base64 -d "$1/details" 2>/dev/null | grep -qxF "Lease: $2" || exit 4\nrm -rf "$1"', dir, token);

/**
 * Breaks a dead holder's lock: only if it still carries the expired lease
 * token we saw (`-`: only if it still has no details file), so two deploys
 * breaking it at once cannot remove the lock the faster one just took.
 */
export const breakStale = (dir: string, token: string): Argv => sh([
    'cd "$HOME" && [ -d "$1" ] || exit 0',
    'if [ "$2" = - ]; then [ ! -e "$1/details" ] || exit 4',
    'else base64 -d "$1/details" 2>/dev/null | grep -qxF "Lease: $2" || exit 4; fi',
    'mv "$1" "$1.stale.$$" 2>/dev/null && rm -rf "$1.stale.$$"',
].join("\n"), dir, token);

/** `lock release` by hand, as Kamal's: whoever holds it. */
export const forceRelease = (dir: string): Argv => sh('cd "$HOME" && [ -d "$1" ] || { echo none; exit 0; }\nrm -rf "$1" && echo released', dir);

export interface LockShown {
    held: boolean;
    /** Host clock, seconds. */
    now: number;
    /** When the lock directory was made (host clock, seconds). */
    since: number;
    details: string;
    token?: string;
    /** Our lease's expiry (host clock, seconds); absent for Kamal's locks. */
    expires?: number;
}

/** Parses `status` (and a held `acquire`) output. */
export function parseShown(out: string): LockShown {
    const [first, now, since, ...rest] = out.split("\n");
    if (first.trim() !== "held") return { held: false, now: 0, since: 0, details: "" };
    const details = rest.join("\n").trim();
    const token = /^Lease: (\S+)$/m.exec(details)?.[1];
    const expires = /^Expires: (\d+)$/m.exec(details)?.[1];
    return { held: true, now: Number(now), since: Number(since), details, token, ...(expires ? { expires: Number(expires) } : {}) };
}
