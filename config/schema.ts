/**
 * The shape of a KamalApp: validated once, at the edge, with zod.
 *
 * Field names are Kamal's deploy.yml keys in camelCase. Values that may come
 * from other resources (hosts, image, secrets) accept Pulumi Inputs; their
 * plain values are checked here and again by the providers once resolved.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { IMAGE_REF } from "../common/image";
import type { KamalAppConfig } from "./types";

/** An Output or a Promise: a value known only at deploy time. */
const deferred = z.custom<pulumi.Output<unknown> | Promise<unknown>>(
    (v) => pulumi.Output.isInstance(v) || (typeof v === "object" && v !== null && typeof (v as any).then === "function"),
);
function input<T extends z.ZodType>(plain: T) {
    return z.union([plain, deferred]) as unknown as z.ZodType<pulumi.Input<z.output<T>>, pulumi.Input<z.input<T>>>;
}

/** Kamal names services and roles into container names: keep them DNS-safe. */
const NAME = /^[a-z0-9][a-z0-9_-]*$/;
const nameField = (what: string) =>
    z.string().regex(NAME, { error: `${what} must be lowercase letters, digits, '-' or '_' (starting with a letter or digit)` });

/** Node timers overflow past 2^31-1 ms (they then fire at once): no duration may exceed it. */
export const MAX_SECONDS = Math.floor((2 ** 31 - 1) / 1000);
const seconds = (what: string) =>
    z.number({ error: `${what} must be a number of seconds` }).positive({ error: `${what} must be more than 0 seconds` })
        .max(MAX_SECONDS, { error: `${what} must be at most ${MAX_SECONDS} seconds (about 24 days)` });
/** A wait that may be 0, bounded like the others. */
const delay = (what: string) => z.number({ error: `${what} must be a number of seconds` }).nonnegative({ error: `${what} cannot be negative` })
    .max(MAX_SECONDS, { error: `${what} must be at most ${MAX_SECONDS} seconds (about 24 days)` });
/** `docker stop --time` takes whole seconds. */
const wholeSeconds = (what: string) => seconds(what).int({ error: `${what} must be a whole number of seconds (docker stop --time takes an integer)` });
const port = (what: string) => z.number({ error: `${what} must be a port number` }).int({ error: `${what} must be a whole number` })
    .min(1, { error: `${what} must be between 1 and 65535` }).max(65535, { error: `${what} must be between 1 and 65535` });

export { IMAGE_REF };
/** kamal-proxy's image when the app names none: the version Kamal 2.12 requires. */
export const DEFAULT_PROXY_IMAGE = "basecamp/kamal-proxy:v0.9.2";
const imageRef = (what: string) => z.string().min(1, { error: `${what} cannot be empty` })
    .regex(IMAGE_REF, { error: `${what} is not a Docker image reference: use [registry[:port]/]name[:tag][@sha256:digest], lowercase name` });
const volume = z.string().regex(/\S/, { error: "a volume cannot be empty: use HOST_PATH_OR_NAME:CONTAINER_PATH[:OPTIONS]" })
    .refine(volumeSpecOk, { error: "a volume is HOST_PATH_OR_NAME:CONTAINER_PATH[:OPTIONS] (or an absolute CONTAINER_PATH alone), no empty part, the container path absolute" });

/** What `docker run --volume` accepts: 1-3 non-blank `:` parts, the container path absolute. */
function volumeSpecOk(v: string): boolean {
    if (!/\S/.test(v)) return true; // reported as empty above
    const parts = v.split(":");
    if (parts.length > 3 || parts.some((p) => !p.trim())) return false;
    return (parts.length === 1 ? parts[0] : parts[1]).startsWith("/");
}

/** Hosts are names or addresses, optionally `user@` free: the user lives under `ssh`. */
export const HOSTNAME = /^(localhost|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f]*:[0-9A-Fa-f]*:[0-9A-Fa-f:.]*)$/;
const hostname = z.string().regex(HOSTNAME, {
    error: "host must be a hostname or IP address (no user@, no :port: set ssh.user and ssh.port instead)",
});

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: "env names are letters, digits and '_', not starting with a digit" });
const envValues = z.record(envName, input(z.string()));

export const envSchema = z.strictObject({
    clear: envValues.optional(),
    /** Secret values: stored encrypted in state, written to a 0600 env file, never put on a command line. */
    secret: envValues.optional(),
    /** Per host tag: extra env for hosts carrying that tag. */
    tags: z.record(z.string(), z.strictObject({ clear: envValues.optional(), secret: envValues.optional() })).optional(),
});

const proxyFields = {
    host: input(z.string()).optional(),
    hosts: z.array(input(z.string())).optional(),
    appPort: port("proxy.appPort").optional(),
    /** true: Let's Encrypt; or a custom certificate and key (PEM text, pass them as secrets). */
    ssl: z.union([z.boolean(), z.strictObject({ certificatePem: input(z.string().min(1)), privateKeyPem: input(z.string().min(1)) })]).optional(),
    sslRedirect: z.boolean().optional(),
    pathPrefix: z.string().startsWith("/").optional(),
    stripPathPrefix: z.boolean().optional(),
    responseTimeout: seconds("proxy.responseTimeout").optional(),
    healthcheck: z.strictObject({
        path: z.string().startsWith("/", { error: "healthcheck.path must start with '/'" }).optional(),
        interval: seconds("healthcheck.interval").optional(),
        timeout: seconds("healthcheck.timeout").optional(),
    }).optional(),
    forwardHeaders: z.boolean().optional(),
    /** Headers kamal-proxy logs; unset: Kamal's Cache-Control, Last-Modified, User-Agent requests headers. */
    logging: z.strictObject({ requestHeaders: z.array(z.string()).optional(), responseHeaders: z.array(z.string()).optional() }).optional(),
    buffering: z
        .strictObject({
            requests: z.boolean().optional(),
            responses: z.boolean().optional(),
            maxRequestBody: z.number().int().nonnegative().optional(),
            maxResponseBody: z.number().int().nonnegative().optional(),
            memory: z.number().int().nonnegative().optional(),
        })
        .optional(),
};

/** Proxy settings as written: defaults are applied after a role's settings are merged over the app's. */
export const proxySchema = z.strictObject(proxyFields)
    .refine((p) => !(p.host && p.hosts), { error: "set proxy.host or proxy.hosts, not both" });
export type ProxySettings = z.output<typeof proxySchema>;

/** Kamal's proxy defaults. */
export const PROXY_DEFAULTS = { appPort: 80, ssl: false, responseTimeout: 30, healthcheck: { path: "/up", interval: 1, timeout: 5 } } as const;

/** App settings, then the role's, then defaults; a role `host` replaces the app's `hosts`. */
export function mergeProxy(app: ProxySettings | undefined, role: ProxySettings | undefined) {
    const merged = { ...app, ...role };
    if (role?.host) delete merged.hosts;
    if (role?.hosts) delete merged.host;
    return {
        ...merged,
        appPort: merged.appPort ?? PROXY_DEFAULTS.appPort,
        ssl: merged.ssl ?? PROXY_DEFAULTS.ssl,
        responseTimeout: merged.responseTimeout ?? PROXY_DEFAULTS.responseTimeout,
        healthcheck: { ...PROXY_DEFAULTS.healthcheck, ...app?.healthcheck, ...role?.healthcheck },
    };
}
export type ProxyConfig = ReturnType<typeof mergeProxy>;

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
    labels: z.record(z.string(), z.string()).optional(),
    /** Extra `docker run` options, as Kamal's role `options` map: `{ memory: "1g", "add-host": [...] }`. */
    options: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.string())])).optional(),
    volumes: z.array(volume).optional(),
    logging: z.strictObject({ driver: z.string().optional(), options: z.record(z.string(), z.string()).optional() }).optional(),
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

export const sshSchema = z.strictObject({
    user: input(z.string().min(1)).default("root"),
    port: port("ssh.port").default(22),
    /** The private key's text (pass it as a secret). Falls back to keyPath. */
    privateKey: input(z.string()).optional(),
    /** Path of a private key file, read on the deploying machine at deploy time. */
    keyPath: z.string().optional(),
    /** A jump host, `[user@]host[:port]`, as Kamal's `ssh.proxy`. */
    proxy: z.string().optional(),
    /** Verify host keys (default true): against `hostKeys` pins, else the `knownHosts` file. */
    verifyHostKey: z.boolean().default(true),
    /** known_hosts file read at deploy time; default ~/.ssh/known_hosts. */
    knownHosts: z.string().optional(),
    /** Pinned host key fingerprints, `{ "1.2.3.4": "SHA256:..." }`. */
    hostKeys: z.record(z.string(), z.string().startsWith("SHA256:", { error: "host key pins are OpenSSH SHA256 fingerprints: SHA256:..." })).optional(),
});

export const registrySchema = z.strictObject({
    server: input(z.string()).optional(),
    username: input(z.string()),
    password: input(z.string()),
});

export const bootSchema = z.strictObject({
    /** Hosts booted at once per role: a number, or a percentage string like "25%". */
    limit: z.union([z.number().int().positive(), z.string().regex(/^\d+%$/)]).optional(),
    /** Seconds to wait between host groups. */
    wait: delay("boot.wait").optional(),
});

export const appSchema = z.strictObject({
    service: nameField("service"),
    image: input(imageRef("image")),
    /** Defaults to the image tag (or digest); a new version makes new containers. */
    version: input(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/)).optional(),
    destination: nameField("destination").optional(),
    roles: z.record(nameField("role name"), roleSchema).refine((r) => Object.keys(r).length > 0, { error: "at least one role is needed" }),
    primaryRole: z.string().default("web"),
    ssh: sshSchema.default({ user: "root", port: 22, verifyHostKey: true }),
    env: envSchema.optional(),
    proxy: proxySchema.optional(),
    registry: registrySchema.optional(),
    labels: z.record(z.string(), z.string()).optional(),
    volumes: z.array(volume).optional(),
    logging: z.strictObject({ driver: z.string().optional(), options: z.record(z.string(), z.string()).optional() }).optional(),
    boot: bootSchema.optional(),
    deployTimeout: seconds("deployTimeout").default(30),
    drainTimeout: seconds("drainTimeout").default(30),
    readinessDelay: delay("readinessDelay").default(7),
    retainContainers: z.number().int().min(1, { error: "retainContainers must keep at least 1 container" }).default(5),
    proxyImage: imageRef("proxyImage").default(DEFAULT_PROXY_IMAGE),
    /** A directory of 4xx/5xx `.html` pages kamal-proxy serves for its own errors (Kamal's error_pages_path). */
    errorPagesPath: z.string().min(1).optional(),
    /** Ports kamal-proxy publishes on each host (Kamal's proxy `run.http_port`/`https_port`). */
    proxyPorts: z.strictObject({ http: port("proxyPorts.http").default(80), https: port("proxyPorts.https").default(443) }).default({ http: 80, https: 443 }),
}).superRefine((app, ctx) => {
    const roles = Object.keys(app.roles);
    for (const [role, cfg] of Object.entries(app.roles)) {
        for (const [i, dep] of (cfg.bootAfter ?? []).entries()) {
            if (!roles.includes(dep)) {
                ctx.addIssue({ code: "custom", input: dep, path: ["roles", role, "bootAfter", i], message: `unknown role; roles are: ${roles.join(", ")}` });
            } else if (dep === role) {
                ctx.addIssue({ code: "custom", input: dep, path: ["roles", role, "bootAfter", i], message: `a role cannot boot after itself` });
            }
        }
    }
    for (const [role, cfg] of Object.entries(app.roles)) {
        if (cfg.hooks?.postAppBoot?.when === "paused" && !isProxied(app, role)) {
            ctx.addIssue({ code: "custom", input: "paused", path: ["roles", role, "hooks", "postAppBoot", "when"], message: `"paused" holds kamal-proxy traffic, but role "${role}" is not behind kamal-proxy; use "before-traffic" or set roles.${role}.proxy: true` });
        }
    }
    checkHolds(app, ctx);
    // Self-dependencies are reported above; look for longer cycles only (a paused hook waits for the roles it holds).
    const order = Object.fromEntries(Object.entries(heldBootOrder(app)).map(([r, deps]) => [r, deps.filter((d) => d !== r)]));
    const cycle = findCycle(order);
    if (cycle) ctx.addIssue({ code: "custom", input: cycle.join(" -> "), path: ["roles"], message: `bootAfter forms a cycle: ${cycle.join(" -> ")}; remove one of these dependencies` });
    if (app.roles[app.primaryRole] === undefined && app.primaryRole !== "web") {
        ctx.addIssue({ code: "custom", input: app.primaryRole, path: ["primaryRole"], message: `not a role; roles are: ${roles.join(", ")}` });
    }
});

/** What zod accepts and returns; the public types (types.ts) must agree (test/unit/types.test.ts). */
export type ParsedAppInput = z.input<typeof appSchema>;
export type ParsedApp = z.output<typeof appSchema>;
export type { KamalAppArgs as KamalAppInput, KamalAppConfig, RoleConfig, HookConfig, SshConfig } from "./types";

/** The primary role, or the first role when the default "web" is not defined (as Kamal does). */
export function primaryRoleOf(app: Pick<KamalAppConfig, "roles" | "primaryRole">): string {
    return app.roles[app.primaryRole] ? app.primaryRole : Object.keys(app.roles)[0];
}

/** Whether a role sits behind kamal-proxy: the primary role by default, others when they say so. */
export function isProxied(app: Pick<KamalAppConfig, "roles" | "primaryRole">, role: string): boolean {
    const p = app.roles[role].proxy;
    return p === undefined ? role === primaryRoleOf(app) : p !== false;
}

/** Each role's boot dependencies, defaults applied. */
export function bootOrder(app: Pick<KamalAppConfig, "roles" | "primaryRole">): Record<string, string[]> {
    const primary = primaryRoleOf(app);
    const order: Record<string, string[]> = {};
    for (const [role, cfg] of Object.entries(app.roles)) {
        order[role] = cfg.bootAfter ?? (role === primary ? [] : [primary]);
    }
    return order;
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

function checkHolds(app: ParsedAppShape, ctx: z.RefinementCtx): void {
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
type ParsedAppShape = Pick<KamalAppConfig, "roles" | "primaryRole">;

function findCycle(graph: Record<string, string[]>): string[] | undefined {
    const state: Record<string, "visiting" | "done"> = {};
    const visit = (node: string, path: string[]): string[] | undefined => {
        if (state[node] === "done") return undefined;
        if (state[node] === "visiting") return [...path.slice(path.indexOf(node)), node];
        state[node] = "visiting";
        for (const next of graph[node] ?? []) {
            const cycle = visit(next, [...path, node]);
            if (cycle) return cycle;
        }
        state[node] = "done";
        return undefined;
    };
    for (const node of Object.keys(graph)) {
        const cycle = visit(node, []);
        if (cycle) return cycle;
    }
    return undefined;
}
