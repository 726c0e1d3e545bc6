/** Turns zod's issues into one error that names every bad field, its value and the fix. */
import { z } from "zod";
import { appSchema } from "./schema";
import type { KamalAppConfig } from "./types";

export class KamalConfigError extends Error {
    constructor(readonly where: string, readonly problems: string[]) {
        super(`Invalid ${where}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
        this.name = "KamalConfigError";
    }
}

export function formatPath(path: readonly PropertyKey[]): string {
    return path.reduce<string>((acc, key) => (typeof key === "number" ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), "");
}

function describeValue(value: unknown): string {
    if (value === undefined) return "nothing";
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function hint(issue: z.core.$ZodIssue): string {
    // A bad record key: zod nests the key's own message.
    if (issue.code === "invalid_key" && issue.issues[0]) return issue.issues[0].message;
    if (issue.code === "unrecognized_keys") return `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}; remove ${issue.keys.length > 1 ? "them" : "it"} or check the spelling`;
    return issue.message;
}

/** Describe each issue as `path: message (got value)`. @internal */
export function describeIssues(error: z.ZodError, prefix: readonly PropertyKey[] = []): string[] {
    return error.issues.map((issue) => {
        const path = formatPath([...prefix, ...issue.path]) || "(root)";
        const got = "input" in issue && issue.code !== "unrecognized_keys" ? ` (got ${describeValue(issue.input)})` : "";
        return `${path}: ${hint(issue)}${got}`;
    });
}

/** Validate KamalApp arguments; throws KamalConfigError listing every problem at once. */
export function parseAppConfig(name: string, args: unknown): KamalAppConfig {
    const result = appSchema.safeParse(args, { reportInput: true });
    if (!result.success) throw new KamalConfigError(`KamalApp "${name}" configuration`, describeIssues(result.error));
    return result.data;
}
