/** What the engine-facing adapters share: Pulumi's unknown values and input diffs. */

/** Pulumi passes this string for values not known yet (preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export const isUnknown = (v: unknown): boolean =>
    v === UNKNOWN || (typeof v === "object" && v !== null && Object.values(v).some(isUnknown)) || (Array.isArray(v) && v.some(isUnknown));

/** Keys whose old and new values differ (deep, by JSON). */
export function changedKeys<T extends object>(olds: Partial<T>, news: T, keys: readonly (keyof T)[]): string[] {
    return keys.filter((k) => JSON.stringify(olds[k] ?? null) !== JSON.stringify(news[k] ?? null)).map(String);
}
