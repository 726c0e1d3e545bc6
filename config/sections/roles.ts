/**
 * deploy.yml `servers` (or `roles`): each role's hosts, its container
 * settings, its proxy and its hooks. A plain host list is the one role "web".
 */
import { z } from "zod";
import { input, NAME, nameField, wholeSeconds } from "./fields";
import { problem } from "../issues";
import { envSchema, readEnv } from "./env";
import { labelsSchema, loggingSchema, optionsSchema, readLabels, readLogging, readOptions, volume } from "./container";
import { hookSchema, readHooks } from "./hooks";
import { proxySchema, readProxy, readRoleProxy } from "./proxy";
import { startsWith, type Field, type KeySpec, type Path, type Reader } from "./reader";

/** Hosts are names or addresses, optionally `user@` free: the user lives under `ssh`. */
export const HOSTNAME = /^(localhost|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f]*:[0-9A-Fa-f]*:[0-9A-Fa-f:.]*)$/;
const hostname = z.string().regex(HOSTNAME, {
    error: "host must be a hostname or IP address (no user@, no :port: set ssh.user and ssh.port instead)",
});

const hostEntry = z.union([
    input(hostname),
    z.strictObject({
        host: input(hostname),
        tags: z.array(z.string()).default([]),
        /** Names the host's resources instead of its position when the host is an Output. */
        key: z.string().regex(NAME, { error: "a host key must be lowercase letters, digits, '-' or '_'" }).optional(),
    }),
]);

export const roleSchema = z.strictObject({
    hosts: z.array(hostEntry).min(1, { error: "a role needs at least one host" }).superRefine((hosts, ctx) => {
        // Keys name resources: two hosts of a role cannot share one.
        const seen = new Set<string>();
        hosts.forEach((h, i) => {
            const key = typeof h === "object" && h !== null && "key" in h ? h.key : undefined;
            if (key === undefined) return;
            if (seen.has(key)) ctx.addIssue({ code: "custom", input: key, path: [i, "key"], message: "another host of this role has this key; keys must be unique per role" });
            seen.add(key);
        });
    }),
    cmd: z.union([z.string(), z.array(z.string())]).optional(),
    env: envSchema.optional(),
    labels: labelsSchema.optional(),
    /** Extra `docker run` options, as Kamal's role `options` map: `{ memory: "1g", "add-host": [...] }`. */
    options: optionsSchema.optional(),
    volumes: z.array(volume).optional(),
    logging: loggingSchema.optional(),
    /** true/false, or proxy settings overriding the app's `proxy`. The primary role is proxied by default. */
    proxy: z.union([z.boolean(), proxySchema]).optional(),
    stopTimeout: wholeSeconds("stopTimeout").optional(),
    hooks: z.strictObject({ postAppBoot: hookSchema.optional() }).optional(),
    /**
     * Roles whose boot (and post-app-boot hook) must succeed before this role boots.
     * Default: non-primary roles wait for the primary role, as in Kamal. `[]` boots independently.
     */
    bootAfter: z.array(z.string()).optional(),
});

/** Kamal's asset bridging, which pulumi-kamal does not do (root and role key). */
export const ASSET_PATH = "ignored; assets are not bridged between versions, so requests for the previous version's assets may 404 during a deploy";

const ROLE: KeySpec = {
    ours: ["hosts", "cmd", "env", "labels", "options", "proxy", "logging", "volumes", "stop_timeout", "hooks", "boot_after"],
    kamal: { asset_path: ASSET_PATH },
};

export function readRoles(r: Reader, 
    f: Field,
    ctx: {
        rootProxy?: Record<string, unknown>;
        stopTimeout?: { value: number; field: Field };
        allowEmpty: boolean;
        primary: string;
    },
): Record<string, unknown> | undefined {
    const out: Record<string, unknown> = {};
    if (f.node.kind === "seq") {
        // A plain host list: the one role "web".
        const hosts = readHosts(r, f, ["roles", "web", "hosts"]);
        const role: Record<string, unknown> = { hosts: hosts ?? [] };
        r.record(["roles", "web"], f.origin, f.ypath);
        r.record(["roles", "web", "hosts"], f.origin, f.ypath);
        roleDefaults(r, role, "web", ctx);
        out.web = role;
        return out;
    }
    if (f.node.kind !== "map") return r.typeError(f, "a list of hosts or a map of roles", ["roles"]);
    const m = r.map(f, undefined, ["roles"])!;
    for (const e of r.valueless(f)) {
        r.fail(e.keyOrigin, [...f.ypath, e.key], "should be a list of hosts or a map with hosts (got nothing)", ["roles", e.key]);
    }
    for (const [name, rf] of m) {
        const argPath: Path = ["roles", name];
        r.record(argPath, rf.origin, rf.ypath);
        const role = readRole(r, rf, argPath, name, ctx);
        if (!role) continue;
        const hosts = role.hosts as unknown[];
        if (hosts.length === 0 && !r.errored.some((p) => startsWith(p, [...argPath, "hosts"]))) {
            if (ctx.allowEmpty && name !== ctx.primary) {
                r.warnAt(rf.origin, rf.ypath, "has no hosts; skipped (allow_empty_roles)");
                continue;
            }
            r.fail(
                rf.origin,
                rf.ypath,
                name === ctx.primary ? "the primary role needs at least one host" : "has no hosts: list at least one, or set allow_empty_roles: true to skip it",
                [...argPath, "hosts"],
            );
        }
        out[name] = role;
    }
    return out;
}

export function readRole(r: Reader, 
    f: Field,
    argPath: Path,
    name: string,
    ctx: { rootProxy?: Record<string, unknown>; stopTimeout?: { value: number; field: Field } },
): Record<string, unknown> | undefined {
    if (f.node.kind === "seq") {
        const role: Record<string, unknown> = { hosts: readHosts(r, f, [...argPath, "hosts"]) ?? [] };
        r.record([...argPath, "hosts"], f.origin, f.ypath);
        roleDefaults(r, role, name, ctx);
        return role;
    }
    if (f.node.kind !== "map") return r.typeError(f, "a list of hosts or a map with hosts", argPath);
    const m = r.map(f, ROLE, argPath)!;
    const role: Record<string, unknown> = {};
    const hosts = m.get("hosts");
    if (!hosts) {
        r.fail(f.origin, [...f.ypath, "hosts"], "is required", [...argPath, "hosts"]);
        role.hosts = [];
    } else {
        role.hosts = readHosts(r, hosts, [...argPath, "hosts"]) ?? [];
        r.record([...argPath, "hosts"], hosts.origin, hosts.ypath);
    }
    r.put(role, "cmd", argPath, m.get("cmd"), (x, p) => (x.node.kind === "seq" ? r.strList(x, p) : r.str(x, p)));
    r.put(role, "env", argPath, m.get("env"), (x, p) => readEnv(r, x, p, false));
    r.put(role, "labels", argPath, m.get("labels"), (x, p) => readLabels(r, x, p));
    r.put(role, "options", argPath, m.get("options"), (x, p) => readOptions(r, x, p));
    r.put(role, "logging", argPath, m.get("logging"), (x, p) => readLogging(r, x, p));
    r.put(role, "volumes", argPath, m.get("volumes"), (x, p) => r.strList(x, p));
    r.put(role, "stopTimeout", argPath, m.get("stop_timeout"), (x, p) => r.num(x, p));
    r.put(role, "bootAfter", argPath, m.get("boot_after"), (x, p) => r.strList(x, p));
    r.put(role, "hooks", argPath, m.get("hooks"), (x, p) => readHooks(r, x, p));
    const proxy = m.get("proxy");
    if (proxy) {
        if (proxy.node.kind === "scalar" && typeof proxy.node.value === "boolean") {
            role.proxy = proxy.node.value;
            r.record([...argPath, "proxy"], proxy.origin, proxy.ypath);
        } else if (proxy.node.kind === "map") {
            const own = readProxy(r, proxy, [...argPath, "proxy"]);
            if (own) {
                // Kamal: the role's proxy settings deep-merged over the root's.
                role.proxy = readRoleProxy(r, ctx.rootProxy, own, [...argPath, "proxy"]);
                r.record([...argPath, "proxy"], proxy.origin, proxy.ypath);
            }
        } else r.typeError(proxy, "true, false or a map of proxy settings", [...argPath, "proxy"]);
    }
    roleDefaults(r, role, name, ctx);
    return role;
}

/** Root settings Kamal applies to every role. */
function roleDefaults(r: Reader, role: Record<string, unknown>, name: string, ctx: { stopTimeout?: { value: number; field: Field } }): void {
    if (ctx.stopTimeout && role.stopTimeout === undefined) {
        role.stopTimeout = ctx.stopTimeout.value;
        r.record(["roles", name, "stopTimeout"], ctx.stopTimeout.field.origin, ctx.stopTimeout.field.ypath);
    }
}

function readHosts(r: Reader, f: Field, argPath: Path): unknown[] | undefined {
    const items = r.items(f, argPath);
    if (!items) return undefined;
    const out: unknown[] = [];
    for (const item of items) {
        const at = [...argPath, out.length];
        if (item.node.kind === "scalar" && item.node.value !== null) {
            out.push(String(item.node.value));
            r.record(at, item.origin, item.ypath);
            continue;
        }
        if (item.node.kind === "map") {
            if (item.node.entries.length !== 1) {
                r.fail(item.origin, item.ypath, `one host per list item, as "host: tag" or "host: [tags]" (found ${item.node.entries.length} keys)`, argPath);
                continue;
            }
            const e = item.node.entries[0];
            const tf: Field = { node: e.value, origin: e.keyOrigin, ypath: [...item.ypath, e.key] };
            let tags: string[] | undefined;
            if (tf.node.kind === "seq") tags = r.strList(tf, [...at, "tags"]);
            else if (tf.node.kind === "scalar" && tf.node.value !== null) tags = [String(tf.node.value)];
            else r.typeError(tf, "a tag or a list of tags", argPath);
            if (tags === undefined) continue;
            out.push({ host: e.key, tags });
            r.record(at, item.origin, item.ypath);
            r.record([...at, "host"], e.keyOrigin, item.ypath);
            r.record([...at, "tags"], tf.origin, tf.ypath);
            continue;
        }
        r.typeError(item, `a host ("1.2.3.4") or a tagged host ("1.2.3.4: tag")`, argPath);
    }
    return out;
}

/**
 * Roles by name. Names are checked beside the record, not as its keys, so a
 * bad name keeps its role: the rules across roles still see every role.
 */
export const rolesSchema = z.record(z.string(), roleSchema)
    .superRefine((roles, ctx) => {
        for (const name of Object.keys(roles ?? {})) {
            const bad = nameField("role name").safeParse(name);
            if (!bad.success) problem(ctx, [name], bad.error.issues[0].message, name);
        }
    }, { when: () => true })
    .refine((r) => Object.keys(r).length > 0, { error: "at least one role is needed" });
