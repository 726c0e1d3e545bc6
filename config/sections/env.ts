/**
 * deploy.yml `env` (root and role): clear values, secret references, and
 * per-tag env. A map of plain values is all clear, as in Kamal.
 */
import { z } from "zod";
import { input } from "./fields";
import type { Path, Field, Reader } from "./reader";

export const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: "env names are letters, digits and '_', not starting with a digit" });
const envValues = z.record(envName, input(z.string()));

export const envSchema = z.strictObject({
    clear: envValues.optional(),
    /** Secret values: stored encrypted in state, written to a 0600 env file, never put on a command line. */
    secret: envValues.optional(),
    /** Per host tag: extra env for hosts carrying that tag. */
    tags: z.record(z.string(), z.strictObject({ clear: envValues.optional(), secret: envValues.optional() })).optional(),
});

const ENV_KEYS = ["clear", "secret", "tags"] as const;
/** `NAME`, or `NAME:SECRET` (the variable NAME holds the secret SECRET). */
const SECRET_REF = /^[A-Za-z_][A-Za-z0-9_]*(?::[A-Za-z0-9_.\-/]+)?$/;

/** Kamal's env: a map (all clear), or { clear, secret: [NAME | NAME:SECRET], tags } */
export function readEnv(r: Reader, f: Field, argPath: Path, allowTags: boolean): Record<string, unknown> | undefined {
    if (f.node.kind !== "map") return r.typeError(f, "a map", argPath);
    const complex = f.node.entries.some((e) => (ENV_KEYS as readonly string[]).includes(e.key));
    if (!complex) {
        const clear = r.strMap(f, [...argPath, "clear"]);
        return clear ? { clear } : undefined;
    }
    const m = r.map(f, { ours: ENV_KEYS }, argPath);
    if (!m) return undefined;
    const out: Record<string, unknown> = {};
    r.put(out, "clear", argPath, m.get("clear"), (x, p) => r.strMap(x, p));
    const secret = m.get("secret");
    if (secret) {
        const items = r.items(secret, [...argPath, "secret"]);
        if (items) {
            const values: Record<string, unknown> = {};
            for (const item of items) {
                const ref = r.str(item, [...argPath, "secret"]);
                if (ref === undefined) continue;
                if (!SECRET_REF.test(ref)) {
                    r.fail(item.origin, item.ypath, `"${ref}" is not a secret reference: write NAME, or NAME:SECRET to read NAME from the secret SECRET`, [...argPath, "secret"]);
                    continue;
                }
                // "NAME:SECRET": the variable NAME holds the secret SECRET (Kamal's aliased secrets).
                const colon = ref.indexOf(":");
                const name = colon >= 0 ? ref.slice(0, colon) : ref;
                const secretName = colon >= 0 ? ref.slice(colon + 1) : ref;
                const valuePath = [...argPath, "secret", name];
                r.record(valuePath, item.origin, item.ypath);
                const value = r.secret(secretName, item, valuePath);
                if (value) values[name] = value;
            }
            out.secret = values;
            r.record([...argPath, "secret"], secret.origin, secret.ypath);
        }
    }
    const tags = m.get("tags");
    if (tags) {
        if (!allowTags) {
            r.fail(tags.origin, tags.ypath, "tags are only allowed in the root env", [...argPath, "tags"]);
        } else {
            const tagMap = r.map(tags, undefined, [...argPath, "tags"]);
            if (tagMap) {
                const out2: Record<string, unknown> = {};
                for (const [tag, tf] of tagMap) {
                    const tagEnv = readEnv(r, tf, [...argPath, "tags", tag], false);
                    if (tagEnv) {
                        out2[tag] = tagEnv;
                        r.record([...argPath, "tags", tag], tf.origin, tf.ypath);
                    }
                }
                out.tags = out2;
                r.record([...argPath, "tags"], tags.origin, tags.ypath);
            }
        }
    }
    return out;
}
