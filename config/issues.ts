/** How a zod issue is written, for both the TypeScript API and deploy.yml; how a rule reports one. */
import { z } from "zod";
import { describeValue } from "./format";

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
