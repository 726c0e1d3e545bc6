/**
 * A role's `hooks`: the post-app-boot hook, when it runs (before traffic,
 * after, or with traffic paused), where, and which roles a paused hook holds.
 */
import { z } from "zod";
import type { KamalAppConfig } from "../types";
import { problem } from "../issues";
import { bootOrder } from "./boot";
import { envName } from "./env";
import { rolesOf, isPlainObject, seconds } from "./fields";
import { isProxied } from "./proxy";
import type { Field, KeySpec, Path, Reader } from "./reader";

const hookCommand = z.union([
    z.string().min(1, { error: "a hook command cannot be empty" }),
    z.array(z.string()).min(1, { error: "a hook argv needs at least the program" }),
]);

export const HOOK_WHEN = ["before-traffic", "after-traffic", "paused"] as const;
export const HOOK_RUN_ON = ["primary", "all"] as const;

/** A string or argv is shorthand for `{ command }`; then one object schema, so errors keep their field paths. */
export const hookObjectSchema = z.strictObject({
    command: hookCommand,
    when: z.enum(HOOK_WHEN, { error: `when must be one of ${HOOK_WHEN.join(", ")}` }).default("before-traffic"),
    runOn: z.enum(HOOK_RUN_ON, { error: `runOn must be "primary" (once per role) or "all" (every host)` }).default("primary"),
    timeout: seconds("hook timeout").default(300),
    env: z.record(envName, z.string()).default({}),
    /** `paused` only: the roles held with this one (default: every proxied role). */
    holds: z.array(z.string().min(1)).min(1, { error: "holds needs at least one role; leave it out to hold every proxied role" }).optional(),
}, { error: "a hook is a command string, an argv array, or { command, when, runOn, timeout, env, holds }" });
export const hookSchema = z.preprocess((v) => (typeof v === "string" || Array.isArray(v) ? { command: v } : v), hookObjectSchema);

const HOOKS: KeySpec = { ours: ["post-app-boot"] };
const HOOK: KeySpec = { ours: ["command", "when", "run_on", "timeout", "env", "holds"] };

export function readHooks(r: Reader, f: Field, argPath: Path): Record<string, unknown> | undefined {
    const m = r.map(f, HOOKS, argPath);
    if (!m) return undefined;
    const out: Record<string, unknown> = {};
    const hook = m.get("post-app-boot");
    if (hook) {
        const p = [...argPath, "postAppBoot"];
        let value: unknown;
        if (hook.node.kind === "seq") value = r.strList(hook, p);
        else if (hook.node.kind === "scalar") value = r.str(hook, p);
        else {
            const hm = r.map(hook, HOOK, p)!;
            const o: Record<string, unknown> = {};
            const command = hm.get("command");
            if (!command) r.fail(hook.origin, [...hook.ypath, "command"], "is required", [...p, "command"]);
            else r.put(o, "command", p, command, (x, q) => (x.node.kind === "seq" ? r.strList(x, q) : r.str(x, q)));
            r.put(o, "when", p, hm.get("when"), (x, q) => r.oneOf(x, q, HOOK_WHEN));
            r.put(o, "runOn", p, hm.get("run_on"), (x, q) => r.oneOf(x, q, HOOK_RUN_ON));
            r.put(o, "timeout", p, hm.get("timeout"), (x, q) => r.num(x, q));
            r.put(o, "env", p, hm.get("env"), (x, q) => r.strMap(x, q));
            r.put(o, "holds", p, hm.get("holds"), (x, q) => r.strList(x, q));
            value = o;
        }
        if (value !== undefined) {
            out.postAppBoot = value;
            r.record(p, hook.origin, hook.ypath);
        }
    }
    return out;
}

/** A paused hook holds kamal-proxy traffic: its role must be behind kamal-proxy (checked even when other fields are wrong). */
export function checkPausedProxied(app: unknown, ctx: z.RefinementCtx): void {
    if (!isPlainObject(app) || typeof app.primaryRole !== "string") return;
    for (const [role, cfg] of rolesOf(app)) {
        const hook = isPlainObject(cfg.hooks) ? cfg.hooks.postAppBoot : undefined;
        if (!isPlainObject(hook) || hook.when !== "paused") continue;
        if (isProxied(app as Pick<KamalAppConfig, "roles" | "primaryRole">, role)) continue;
        problem(ctx, ["roles", role, "hooks", "postAppBoot", "when"],
            `"paused" holds kamal-proxy traffic, but role "${role}" is not behind kamal-proxy; use "before-traffic" or set proxy: true on the role`);
    }
}

/**
 * The roles a role's `paused` hook holds besides its own: `holds` when set,
 * else every other proxied role. Empty for other hooks.
 */
export function heldRoles(app: Pick<KamalAppConfig, "roles" | "primaryRole">, role: string): string[] {
    const hook = app.roles[role]?.hooks?.postAppBoot;
    if (hook?.when !== "paused") return [];
    const names = hook.holds ?? Object.keys(app.roles).filter((r) => isProxied(app, r));
    return names.filter((r) => r !== role && app.roles[r] !== undefined);
}

/** Each held role's holder (a role is held by at most one paused hook; the schema checks it). */
export function holders(app: Pick<KamalAppConfig, "roles" | "primaryRole">): Record<string, string> {
    const out: Record<string, string> = {};
    for (const role of Object.keys(app.roles)) for (const h of heldRoles(app, role)) out[h] ??= role;
    return out;
}

/**
 * Boot dependencies with the holds applied: a held role boots beside its
 * holder (after what the holder boots after, not after its hook), and the
 * holder's hook waits for the held role's containers.
 */
export function heldBootOrder(app: Pick<KamalAppConfig, "roles" | "primaryRole">): Record<string, string[]> {
    const order = bootOrder(app);
    const out = { ...order };
    for (const [held, holder] of Object.entries(holders(app))) {
        out[held] = [...new Set([...order[held].filter((d) => d !== holder), ...order[holder]])].filter((d) => d !== held);
        out[holder] = [...out[holder], held];
    }
    return out;
}

/** holds name roles, only on paused hooks; a role is held by one paused hook at most. */
export function checkHolds(app: Pick<KamalAppConfig, "roles" | "primaryRole">, ctx: z.RefinementCtx): void {
    const roles = Object.keys(app.roles);
    const heldBy: Record<string, string> = {};
    for (const [role, cfg] of Object.entries(app.roles)) {
        const hook = cfg.hooks?.postAppBoot;
        if (!hook?.holds) continue;
        const path = ["roles", role, "hooks", "postAppBoot", "holds"];
        if (hook.when !== "paused") {
            ctx.addIssue({ code: "custom", input: hook.holds, path, message: `holds only applies to when: "paused" (this hook runs ${hook.when}); remove holds or set when: paused` });
            continue;
        }
        hook.holds.forEach((name, i) => {
            if (!roles.includes(name)) ctx.addIssue({ code: "custom", input: name, path: [...path, i], message: `unknown role; roles are: ${roles.join(", ")}` });
        });
    }
    for (const role of roles) {
        for (const held of heldRoles(app, role)) {
            const path = ["roles", role, "hooks", "postAppBoot", "holds"];
            if (heldBy[held]) {
                ctx.addIssue({ code: "custom", input: held, path, message: `role "${held}" is already held by role "${heldBy[held]}"'s paused hook; a role can be held by one paused hook: list it in one holds only` });
            } else if (app.roles[held].hooks?.postAppBoot?.when === "paused") {
                ctx.addIssue({ code: "custom", input: held, path, message: `role "${held}" has its own paused hook; two paused hooks cannot hold each other: give role "${role}" holds without "${held}", or merge the hooks` });
            }
            heldBy[held] ??= role;
        }
    }
}
