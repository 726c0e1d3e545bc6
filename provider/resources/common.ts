import { connect, SshTarget, Transport } from "../transport";

/** Pulumi passes this string for values not known yet (preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export const isUnknown = (v: unknown): boolean =>
    v === UNKNOWN || (typeof v === "object" && v !== null && Object.values(v).some(isUnknown)) || (Array.isArray(v) && v.some(isUnknown));

export function transport(connection: SshTarget): Transport {
    return connect(connection);
}

/** Keys whose old and new values differ (deep, by JSON). */
export function changedKeys<T extends object>(olds: Partial<T>, news: T, keys: readonly (keyof T)[]): string[] {
    return keys.filter((k) => JSON.stringify(olds[k] ?? null) !== JSON.stringify(news[k] ?? null)).map(String);
}

/** A line of provider progress: the engine shows the plugin's stderr as diagnostics. */
export function progress(message: string): void {
    process.stderr.write(`${message}\n`);
}
