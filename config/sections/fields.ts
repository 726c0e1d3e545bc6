/** zod building blocks every section uses: deferred values, names, durations, ports. */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";

/** An Output or a Promise: a value known only at deploy time. */
const deferred = z.custom<pulumi.Output<unknown> | Promise<unknown>>(
    (v) => pulumi.Output.isInstance(v) || (typeof v === "object" && v !== null && typeof (v as any).then === "function"),
);
export function input<T extends z.ZodType>(plain: T) {
    return z.union([plain, deferred]) as unknown as z.ZodType<pulumi.Input<z.output<T>>, pulumi.Input<z.input<T>>>;
}

/** Kamal names services and roles into container names: keep them DNS-safe. */
export const NAME = /^[a-z0-9][a-z0-9_-]*$/;
export const nameField = (what: string) =>
    z.string().regex(NAME, { error: `${what} must be lowercase letters, digits, '-' or '_' (starting with a letter or digit)` });

/** Node timers overflow past 2^31-1 ms (they then fire at once): no duration may exceed it. */
export const MAX_SECONDS = Math.floor((2 ** 31 - 1) / 1000);
export const seconds = (what: string) =>
    z.number({ error: `${what} must be a number of seconds` }).positive({ error: `${what} must be more than 0 seconds` })
        .max(MAX_SECONDS, { error: `${what} must be at most ${MAX_SECONDS} seconds (about 24 days)` });
/** A wait that may be 0, bounded like the others. */
export const delay = (what: string) => z.number({ error: `${what} must be a number of seconds` }).nonnegative({ error: `${what} cannot be negative` })
    .max(MAX_SECONDS, { error: `${what} must be at most ${MAX_SECONDS} seconds (about 24 days)` });
/** `docker stop --time` takes whole seconds. */
export const wholeSeconds = (what: string) => seconds(what).int({ error: `${what} must be a whole number of seconds (docker stop --time takes an integer)` });
export const port = (what: string) => z.number({ error: `${what} must be a port number` }).int({ error: `${what} must be a whole number` })
    .min(1, { error: `${what} must be between 1 and 65535` }).max(65535, { error: `${what} must be between 1 and 65535` });

/** A plain (non-Pulumi) object, as cross-field rules see a possibly half-valid config. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v) && !pulumi.Output.isInstance(v);
}

/** The roles of a possibly half-valid app, each a plain object: cross-field rules run even when other fields failed. */
export function rolesOf(app: unknown): [string, Record<string, unknown>][] {
    const roles = isPlainObject(app) ? app.roles : undefined;
    if (!isPlainObject(roles)) return [];
    return Object.entries(roles).filter((e): e is [string, Record<string, unknown>] => isPlainObject(e[1]));
}
