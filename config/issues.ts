/**
 * How a problem is written, for both the TypeScript API and deploy.yml: the
 * path of a field, a value (Pulumi values never shown), and a zod issue.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";

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

/** What is wrong, without the value. */
function issueMessage(issue: z.core.$ZodIssue): string {
    const n = issue.code === "unrecognized_keys" ? issue.keys.length : 0;
    if (issue.code === "unrecognized_keys") return `unknown key${n > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}; remove ${n > 1 ? "them" : "it"} or check the spelling`;
    // A record key that fails its own schema: its message says what keys may be.
    if (issue.code === "invalid_key" && issue.issues.length > 0) return issue.issues.map((i) => i.message).join("; ");
    return issue.message;
}

/**
 * An issue as `message (got value)`. A rule of ours (a custom issue) shows a
 * value only when it passed one: its message may already name it.
 * `words` rewrites the message (deploy.yml says its own key names).
 */
export function issueText(issue: z.core.$ZodIssue, words: (message: string) => string = (m) => m): string {
    const shown = issue.code === "custom" ? issue.input !== undefined : "input" in issue && issue.code !== "unrecognized_keys";
    return `${words(issueMessage(issue))}${shown ? ` (got ${describeValue(issue.input)})` : ""}`;
}

/** Report a cross-field problem at `path`; `value` is shown after the message when given. */
export function problem(ctx: z.RefinementCtx, path: PropertyKey[], message: string, value?: unknown): void {
    ctx.addIssue({ code: "custom", path, message, input: value });
}
