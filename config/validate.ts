/** Turns zod's issues into one error that names every bad field, its value and the fix. */
import { z } from "zod";
import { formatPath } from "./format";
import { issueText } from "./issues";
import { appSchema } from "./schema";
import type { KamalAppConfig } from "./types";

export { formatPath };

export class KamalConfigError extends Error {
    constructor(readonly where: string, readonly problems: string[]) {
        super(`Invalid ${where}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
        this.name = "KamalConfigError";
    }
}

/** Describe each issue as `path: message (got value)`. @internal */
export function describeIssues(error: z.ZodError, prefix: readonly PropertyKey[] = []): string[] {
    return error.issues.map((issue) => `${formatPath([...prefix, ...issue.path]) || "(root)"}: ${issueText(issue)}`);
}

/** Validate KamalApp arguments; throws KamalConfigError listing every problem at once. */
export function parseAppConfig(name: string, args: unknown): KamalAppConfig {
    const result = appSchema.safeParse(args, { reportInput: true });
    if (!result.success) throw new KamalConfigError(`KamalApp "${name}" configuration`, describeIssues(result.error));
    return result.data;
}
