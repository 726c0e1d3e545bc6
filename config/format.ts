/**
 * How a field and a value are written in messages, for both the TypeScript
 * API and deploy.yml. No zod here: the public typings reach this file.
 */
import * as pulumi from "@pulumi/pulumi";

export function formatPath(path: readonly PropertyKey[]): string {
    return path.reduce<string>((acc, key) => (typeof key === "number" ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), "");
}

/** A short JSON rendering of a value for messages; Pulumi values (secrets) are never shown. */
export function describeValue(value: unknown): string {
    if (value === undefined || value === null) return "nothing";
    const hide = (v: unknown): unknown =>
        pulumi.Output.isInstance(v) || (typeof v === "object" && v !== null && typeof (v as { then?: unknown }).then === "function")
            ? "[secret]"
            : Array.isArray(v)
              ? v.map(hide)
              : typeof v === "object" && v !== null
                ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, hide(x)]))
                : v;
    let text: string | undefined;
    try {
        text = JSON.stringify(hide(value));
    } catch {
        text = undefined;
    }
    if (text === undefined) return String(value);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
