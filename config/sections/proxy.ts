/**
 * deploy.yml `proxy` (root and role): kamal-proxy's settings for a role,
 * which roles are proxied, the merge of a role's settings over the app's,
 * and the SSL rules; at the root, `proxy.run` sets kamal-proxy's image and ports.
 */
import { z } from "zod";
import type { KamalAppConfig } from "../types";
import { problem } from "../issues";
import { input, isPlainObject, port, rolesOf, seconds } from "./fields";
import { primaryRoleOf } from "./primary";
import type { Field, KeySpec, Path, PlainKind, Reader } from "./reader";

/** kamal-proxy's image when the app names none: the version Kamal 2.12 requires. */
export const DEFAULT_PROXY_IMAGE = "basecamp/kamal-proxy:v0.9.2";

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

/** Ports kamal-proxy publishes on each host (Kamal's proxy `run.http_port`/`https_port`). */
export const proxyPortsSchema = z.strictObject({ http: port("proxyPorts.http").default(80), https: port("proxyPorts.https").default(443) })
    .default({ http: 80, https: 443 });

/** Kamal's proxy defaults. */
export const PROXY_DEFAULTS = { appPort: 80, ssl: false, responseTimeout: 30, healthcheck: { path: "/up", interval: 1, timeout: 5 } } as const;

/** A role's host replaces the app's hosts, and its hosts the app's host (setting both is rejected by proxySchema). */
export function replaceHosts(merged: { host?: unknown; hosts?: unknown }, role: { host?: unknown; hosts?: unknown } | undefined): void {
    if (role?.host && !role.hosts) delete merged.hosts;
    if (role?.hosts && !role.host) delete merged.host;
}

/** App settings, then the role's, then defaults. */
export function mergeProxy(app: ProxySettings | undefined, role: ProxySettings | undefined) {
    const merged = { ...app, ...role };
    replaceHosts(merged, role);
    return {
        ...merged,
        appPort: merged.appPort ?? PROXY_DEFAULTS.appPort,
        ssl: merged.ssl ?? PROXY_DEFAULTS.ssl,
        responseTimeout: merged.responseTimeout ?? PROXY_DEFAULTS.responseTimeout,
        healthcheck: { ...PROXY_DEFAULTS.healthcheck, ...app?.healthcheck, ...role?.healthcheck },
    };
}
export type ProxyConfig = ReturnType<typeof mergeProxy>;

/** Whether a role sits behind kamal-proxy: the primary role by default, others when they say so. */
export function isProxied(app: Pick<KamalAppConfig, "roles" | "primaryRole">, role: string): boolean {
    const p = app.roles[role].proxy;
    return p === undefined ? role === primaryRoleOf(app) : p !== false;
}

const NEEDS_HOST = "ssl: true needs proxy.host or proxy.hosts: Let's Encrypt certifies named hosts";

/**
 * Kamal's Let's Encrypt rules: ssl: true needs a host name, a role with it
 * runs on one host, and no two roles serve one name with it. Checked even
 * when other fields are wrong, to report everything at once.
 */
export function checkSsl(app: unknown, ctx: z.RefinementCtx): void {
    if (!isPlainObject(app) || typeof app.primaryRole !== "string" || !isPlainObject(app.roles)) return;
    const root = isPlainObject(app.proxy) ? (app.proxy as ProxySettings) : undefined;
    if (root?.ssl === true && !root.host && !root.hosts) problem(ctx, ["proxy", "ssl"], NEEDS_HOST);
    const sslHosts: Record<string, string[]> = {};
    for (const [name, role] of rolesOf(app)) {
        if (!isProxied(app as Pick<KamalAppConfig, "roles" | "primaryRole">, name)) continue;
        const own = isPlainObject(role.proxy) ? (role.proxy as ProxySettings) : undefined;
        const p = own ? { ...root, ...own } : root;
        if (own) replaceHosts(p!, own);
        if (p?.ssl !== true) continue;
        // Without settings of its own the role uses the app's, reported above.
        if (own && !p.host && !p.hosts) problem(ctx, ["roles", name, "proxy", "ssl"], NEEDS_HOST);
        const names = Array.isArray(p.hosts) ? p.hosts : p.host ? [p.host] : [];
        for (const h of names) if (typeof h === "string") (sslHosts[h] ??= []).push(name);
        const hosts = Array.isArray(role.hosts) ? role.hosts.length : 0;
        if (hosts > 1) {
            problem(ctx, ["roles", name], `ssl: true (Let's Encrypt) works with one host per role; role ${name} has ${hosts}: terminate TLS in front of the hosts and set ssl: false`);
        }
    }
    for (const [host, names] of Object.entries(sslHosts)) {
        if (names.length < 2) continue;
        const list = `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
        problem(ctx, ["roles", names[1]], `roles ${list} ${names.length > 2 ? "all" : "both"} serve ${host} with ssl: true; give each role its own proxy host`);
    }
}

const PROXY: KeySpec = {
    ours: [
        "host", "hosts", "app_port", "ssl", "ssl_redirect", "forward_headers", "response_timeout", "path_prefix",
        "path_prefixes", "strip_path_prefix", "healthcheck", "buffering", "run", "logging",
    ],
};
const PROXY_LOGGING: Record<string, PlainKind> = { request_headers: "strList", response_headers: "strList" };
const SSL: KeySpec = { ours: ["certificate_pem", "private_key_pem"] };
const HEALTHCHECK: Record<string, PlainKind> = { path: "str", interval: "num", timeout: "num" };
const BUFFERING: Record<string, PlainKind> = { requests: "bool", responses: "bool", max_request_body: "int", max_response_body: "int", memory: "int" };
const PROXY_RUN: KeySpec = {
    ours: ["http_port", "https_port", "registry", "repository", "version"],
    kamal: {
        metrics_port: "ignored; kamal-proxy runs without a metrics port",
        debug: "ignored; kamal-proxy runs without debug logging",
        log_max_size: "ignored; kamal-proxy's log uses Docker's default size",
        publish: "ignored; kamal-proxy always publishes its HTTP and HTTPS ports",
        bind_ips: "ignored; kamal-proxy's ports are published on all addresses",
        options: "ignored; kamal-proxy runs with pulumi-kamal's docker run options",
    },
};
const PROXY_RUN_DEFAULT = (() => {
    const colon = DEFAULT_PROXY_IMAGE.lastIndexOf(":");
    return { repository: DEFAULT_PROXY_IMAGE.slice(0, colon), version: DEFAULT_PROXY_IMAGE.slice(colon + 1) };
})();

/** A proxy map (root or role). At the root, `run` sets the proxy image and ports on `app`. */
export function readProxy(r: Reader, f: Field, argPath: Path, app?: Record<string, unknown>): Record<string, unknown> | undefined {
    const m = r.map(f, PROXY, argPath);
    if (!m) return undefined;
    const out: Record<string, unknown> = {};
    const host = m.get("host");
    if (host) {
        const s = r.str(host, [...argPath, "host"]);
        if (s !== undefined && s.includes(",")) {
            // Kamal splits host on commas.
            out.hosts = s.split(",").map((h) => h.trim()).filter(Boolean);
            r.record([...argPath, "hosts"], host.origin, host.ypath);
        } else if (s !== undefined) {
            out.host = s;
            r.record([...argPath, "host"], host.origin, host.ypath);
        }
    }
    const hosts = m.get("hosts");
    if (hosts) {
        const list = r.strList(hosts, [...argPath, "hosts"]);
        if (list) {
            // Both set: keep both, for the schema to reject (proxySchema).
            if (host && out.hosts) {
                out.host = r.str(host);
                r.record([...argPath, "host"], host.origin, host.ypath);
            }
            out.hosts = list;
            r.record([...argPath, "hosts"], hosts.origin, hosts.ypath);
        }
    }
    r.put(out, "appPort", argPath, m.get("app_port"), (x, p) => r.int(x, p));
    const ssl = m.get("ssl");
    if (ssl) {
        if (ssl.node.kind === "map") {
            r.put(out, "ssl", argPath, ssl, (x, p) => readCertificate(r, x, p));
        } else r.put(out, "ssl", argPath, ssl, (x, p) => r.bool(x, p));
    }
    r.put(out, "sslRedirect", argPath, m.get("ssl_redirect"), (x, p) => r.bool(x, p));
    r.put(out, "forwardHeaders", argPath, m.get("forward_headers"), (x, p) => r.bool(x, p));
    r.put(out, "responseTimeout", argPath, m.get("response_timeout"), (x, p) => r.num(x, p));
    r.put(out, "stripPathPrefix", argPath, m.get("strip_path_prefix"), (x, p) => r.bool(x, p));
    // Kamal: path_prefixes (a list) wins over path_prefix; both become one comma-separated value.
    const prefixes = m.get("path_prefixes");
    if (prefixes) {
        const list = r.strList(prefixes, [...argPath, "pathPrefix"]);
        if (list) {
            out.pathPrefix = list.join(",");
            r.record([...argPath, "pathPrefix"], prefixes.origin, prefixes.ypath);
        }
    } else r.put(out, "pathPrefix", argPath, m.get("path_prefix"), (x, p) => r.str(x, p));
    r.put(out, "healthcheck", argPath, m.get("healthcheck"), (x, p) => r.fields(x, p, HEALTHCHECK));
    r.put(out, "buffering", argPath, m.get("buffering"), (x, p) => r.fields(x, p, BUFFERING));
    r.put(out, "logging", argPath, m.get("logging"), (x, p) => r.fields(x, p, PROXY_LOGGING));
    const run = m.get("run");
    if (run) {
        if (!app) r.warnAt(run.origin, run.ypath, "ignored; kamal-proxy runs once per host: set proxy.run at the root");
        else readProxyRun(r, run, app);
    }
    return out;
}

function readProxyRun(r: Reader, f: Field, app: Record<string, unknown>): void {
    const m = r.map(f, PROXY_RUN, ["proxyPorts"]);
    if (!m) return;
    const ports: Record<string, unknown> = {};
    r.put(ports, "http", ["proxyPorts"], m.get("http_port"), (x, p) => r.int(x, p));
    r.put(ports, "https", ["proxyPorts"], m.get("https_port"), (x, p) => r.int(x, p));
    if (Object.keys(ports).length > 0) {
        app.proxyPorts = ports;
        r.record(["proxyPorts"], f.origin, f.ypath);
    }
    const registry = m.get("registry") ? r.str(m.get("registry")!, ["proxyImage"]) : undefined;
    const repository = m.get("repository") ? r.str(m.get("repository")!, ["proxyImage"]) : undefined;
    const version = m.get("version") ? r.str(m.get("version")!, ["proxyImage"]) : undefined;
    if (registry !== undefined || repository !== undefined || version !== undefined) {
        // Kamal: [registry/]repository:version, default basecamp/kamal-proxy and the version it requires.
        const repo = repository ?? PROXY_RUN_DEFAULT.repository;
        app.proxyImage = `${registry ? `${registry}/` : ""}${repo}:${version ?? PROXY_RUN_DEFAULT.version}`;
        const first = m.get("version") ?? m.get("repository") ?? m.get("registry")!;
        r.record(["proxyImage"], first.origin, first.ypath);
    }
}

/** Kamal's `ssl: { certificate_pem, private_key_pem }`: names of secrets holding the PEM text. */
function readCertificate(r: Reader, f: Field, argPath: Path): Record<string, unknown> | undefined {
    const m = r.map(f, SSL, argPath);
    if (!m) return undefined;
    const out: Record<string, unknown> = {};
    for (const [key, argKey] of [["certificate_pem", "certificatePem"], ["private_key_pem", "privateKeyPem"]] as const) {
        const field = m.get(key);
        if (!field) {
            r.fail(f.origin, [...f.ypath, key], "is required: the name of a secret holding the PEM text", [...argPath, argKey]);
            continue;
        }
        const name = r.str(field, [...argPath, argKey]);
        const value = name === undefined ? undefined : r.secret(name, field, [...argPath, argKey]);
        if (value) out[argKey] = value;
    }
    return out;
}

/** Kamal: a role's proxy map deep-merged over the root's; inherited settings keep the root's lines. */
export function readRoleProxy(r: Reader, root: Record<string, unknown> | undefined, own: Record<string, unknown>, argPath: Path): Record<string, unknown> {
    const merged: Record<string, unknown> = { ...(root ?? {}) };
    // Inherited settings keep pointing at the root's lines and keys.
    for (const [key, rec] of [...r.origins]) {
        const p = JSON.parse(key) as Path;
        if (p[0] === "proxy" && p.length > 1 && root && (p[1] as string) in root && !((p[1] as string) in own)) {
            r.origins.set(JSON.stringify([...argPath, ...p.slice(1)]), rec);
        }
    }
    for (const [k, v] of Object.entries(own)) {
        const base = merged[k];
        merged[k] = isPlainObject(base) && isPlainObject(v) ? { ...base, ...v } : v;
    }
    replaceHosts(merged, own);
    return merged;
}
