/**
 * Masks secret values in text the user sees (a hook's output, a container's
 * last log lines in a health error): the process printing them may be the
 * app itself, which knows its secret env.
 */

export const MASK = "[secret]";
/** Shorter values would mask ordinary words and digits; they are not meaningful secrets. */
export const MIN_SECRET_LENGTH = 4;

/** A function replacing every occurrence of each value (and each long line of a multi-line one, e.g. a PEM key). */
export function redactor(secrets: Iterable<string> = []): (text: string) => string {
    const values = new Set<string>();
    for (const s of secrets) {
        if (typeof s !== "string") continue;
        if (s.length >= MIN_SECRET_LENGTH) values.add(s);
        if (s.includes("\n")) for (const line of s.split(/\r?\n/)) if (line.trim().length >= 8) values.add(line.trim());
    }
    // Longest first, so a value containing another is masked whole.
    const list = [...values].sort((a, b) => b.length - a.length);
    if (!list.length) return (text) => text;
    return (text) => list.reduce((t, v) => t.split(v).join(MASK), text);
}
