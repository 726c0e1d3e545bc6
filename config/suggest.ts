/** Suggestions for misspelt keys and values. */

/** `; did you mean "X"?` when a valid value is close to the given one, else nothing. */
export function didYouMean(word: string, candidates: readonly string[]): string {
    const best = closest(word, candidates);
    return best === undefined ? "" : `; did you mean "${best}"?`;
}

/**
 * The valid key closest to a misspelt one (Levenshtein distance), if close
 * enough to be a typo: at most a third of the word's letters (at least 1)
 * differ. `everywhere` is nothing like `primary`: no suggestion then.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
    let best: string | undefined;
    let bestDistance = Math.max(1, Math.round(word.length / 3)) + 1;
    for (const c of candidates) {
        const d = levenshtein(word.toLowerCase(), c);
        if (d < bestDistance) {
            best = c;
            bestDistance = d;
        }
    }
    return best;
}

function levenshtein(a: string, b: string): number {
    let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const cur = [i];
        for (let j = 1; j <= b.length; j++) {
            cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        }
        prev = cur;
    }
    return prev[b.length];
}

