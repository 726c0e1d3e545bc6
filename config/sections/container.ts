/**
 * The `docker run` settings of the app and of each role: labels, options,
 * volumes and logging, with the rules Docker and pulumi-kamal put on them.
 */
import { z } from "zod";
import { problem } from "../issues";
import type { Field, Path, PlainKind, Reader } from "./reader";

/** pulumi-kamal labels every container with these: the app may not set them. */
export const RESERVED_LABELS = ["destination", "role", "service"];

export const labelsSchema = z.record(z.string(), z.string()).superRefine((labels, ctx) => {
    for (const key of Object.keys(labels)) {
        if (RESERVED_LABELS.includes(key)) problem(ctx, [key], "destination, role and service are reserved labels: pulumi-kamal sets them; remove this label");
    }
});

/** Docker's restart policies. */
const RESTART = /^(?:no|always|unless-stopped|on-failure(?::\d+)?)$/;

/** Extra `docker run` options, as Kamal's role `options` map: `{ memory: "1g", "add-host": [...] }`. */
export const optionsSchema = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.string())])).superRefine((options, ctx) => {
    if (!("restart" in options)) return;
    const value = options.restart;
    if (typeof value !== "string" || !RESTART.test(value)) {
        problem(ctx, ["restart"], 'should be no, always, unless-stopped, on-failure or on-failure:N (write "no" in quotes to disable restarts)', value);
    }
});

export const volume = z.string().regex(/\S/, { error: "a volume cannot be empty: use HOST_PATH_OR_NAME:CONTAINER_PATH[:OPTIONS]" })
    .refine(volumeSpecOk, { error: "a volume is HOST_PATH_OR_NAME:CONTAINER_PATH[:OPTIONS] (or an absolute CONTAINER_PATH alone), no empty part, the container path absolute" });

/** What `docker run --volume` accepts: 1-3 non-blank `:` parts, the container path absolute. */
function volumeSpecOk(v: string): boolean {
    if (!/\S/.test(v)) return true; // reported as empty above
    const parts = v.split(":");
    if (parts.length > 3 || parts.some((p) => !p.trim())) return false;
    return (parts.length === 1 ? parts[0] : parts[1]).startsWith("/");
}

export const loggingSchema = z.strictObject({ driver: z.string().optional(), options: z.record(z.string(), z.string()).optional() });

const LOGGING: Record<string, PlainKind> = { driver: "str", options: "strMap" };

/** Labels as written; the schema rejects the reserved ones. */
export function readLabels(r: Reader, f: Field, argPath: Path): Record<string, string> | undefined {
    return r.strMap(f, argPath);
}

export function readOptions(r: Reader, f: Field, argPath: Path): Record<string, unknown> | undefined {
    const m = r.map(f, undefined, argPath);
    if (!m) return undefined;
    const out: Record<string, unknown> = {};
    // A valueless option (`privileged:`) is a flag, as Kamal passes it.
    for (const e of r.valueless(f)) {
        out[e.key] = true;
        r.record([...argPath, e.key], e.keyOrigin, [...f.ypath, e.key]);
    }
    for (const [k, x] of m) {
        const p = [...argPath, k];
        let value: unknown;
        if (x.node.kind === "scalar") value = typeof x.node.value === "boolean" || typeof x.node.value === "number" ? x.node.value : String(x.node.value);
        else if (x.node.kind === "seq") value = r.strList(x, p);
        else r.typeError(x, "a value or a list of values", p);
        if (value === undefined) continue;
        out[k] = value;
        r.record(p, x.origin, x.ypath);
    }
    return out;
}

export function readLogging(r: Reader, f: Field, argPath: Path): Record<string, unknown> | undefined {
    return r.fields(f, argPath, LOGGING);
}
