/**
 * Pure functions from validated config to what each resource's provider
 * needs: the one place configuration becomes provider inputs (config itself
 * knows nothing of the provider). The components wire these into the graph.
 */
import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import * as path from "node:path";
import { isProxied, mergeProxy, ProxyConfig } from "../config/schema";
import type { KamalAppConfig, RoleConfig } from "../config/types";
import { ERROR_PAGE } from "../provider/commands/kamal";
import { APPS_CONFIG_MOUNT } from "../provider/commands/proxy";
import { splitWords } from "../provider/commands/shell";
import type { Health } from "../provider/effects/containers";
import type { TrafficSwitchInputs } from "../provider/resources/traffic-switch";

/** The version a new container is named by: the image's tag, or its digest's first 12 hex digits. */
export function versionOf(image: string): string {
    const digest = /@sha256:([0-9a-f]{12})/.exec(image);
    if (digest) return digest[1];
    const lastSlash = image.lastIndexOf("/");
    const colon = image.indexOf(":", lastSlash + 1);
    return colon >= 0 ? image.slice(colon + 1) : "latest";
}

/** kamal-proxy's service name for a role, as Kamal names it. */
export function proxyServiceName(app: Pick<KamalAppConfig, "service" | "destination">, role: string): string {
    return [app.service, role, app.destination].filter(Boolean).join("-");
}

/** The 4xx/5xx `.html` pages of Kamal's error_pages_path, read on the deploying machine. */
export function readErrorPages(dir: string): Record<string, string> {
    const names = fs.existsSync(dir) && fs.statSync(dir).isDirectory() ? fs.readdirSync(dir).filter((n) => ERROR_PAGE.test(n)).sort() : [];
    if (!names.length) throw new Error(`errorPagesPath: "${dir}" holds no 4xx/5xx .html pages (e.g. 502.html, 503.html): add them or remove errorPagesPath`);
    return Object.fromEntries(names.map((n) => [n, fs.readFileSync(path.join(dir, n), "utf8")]));
}

/** kamal-proxy's per-app directory as the proxy container sees it (Kamal's app_container_directory). */
export function proxyAppDir(app: Pick<KamalAppConfig, "service" | "destination">): string {
    return `${APPS_CONFIG_MOUNT}/${[app.service, app.destination].filter(Boolean).join("-")}`;
}

/** The role's custom certificate and key (Pulumi secrets), when its proxy has one. */
export function roleCertificate(app: KamalAppConfig, role: string): { certificatePem: pulumi.Input<string>; privateKeyPem: pulumi.Input<string> } | undefined {
    const ssl = roleProxy(app, role)?.ssl;
    return typeof ssl === "object" ? ssl : undefined;
}

/** The role's proxy settings (role map over the app's), or undefined when the role is not proxied. */
export function roleProxy(app: KamalAppConfig, role: string): ProxyConfig | undefined {
    if (!isProxied(app, role)) return undefined;
    const own = app.roles[role].proxy;
    return mergeProxy(app.proxy, typeof own === "object" ? own : undefined);
}

export function proxyTarget(app: KamalAppConfig, role: string): NonNullable<TrafficSwitchInputs["proxy"]> | undefined {
    const p = roleProxy(app, role);
    if (!p) return undefined;
    return {
        service: proxyServiceName(app, role),
        appPort: p.appPort,
        // Host names given as Outputs stay Outputs here: Pulumi resolves them inside the resource's inputs.
        hosts: (p.hosts ?? (p.host ? [p.host] : [])) as string[],
        pathPrefix: p.pathPrefix,
        stripPathPrefix: p.stripPathPrefix,
        tls: p.ssl !== undefined && p.ssl !== false,
        // Custom certificates: where the switch writes them, as the proxy container sees them (Kamal's tls paths).
        ...(typeof p.ssl === "object" ? {
            tlsCertificatePath: `${proxyAppDir(app)}/tls/${role}/cert.pem`,
            tlsPrivateKeyPath: `${proxyAppDir(app)}/tls/${role}/key.pem`,
        } : {}),
        tlsRedirect: p.sslRedirect,
        deployTimeout: app.deployTimeout,
        drainTimeout: app.drainTimeout,
        healthcheck: p.healthcheck,
        responseTimeout: p.responseTimeout,
        forwardHeaders: p.forwardHeaders,
        buffering: p.buffering,
        logRequestHeaders: p.logging?.requestHeaders,
        logResponseHeaders: p.logging?.responseHeaders,
    };
}

export function roleHealth(app: KamalAppConfig, role: string): Health {
    const target = proxyTarget(app, role);
    if (target) {
        const { appPort, ...rest } = target;
        return { kind: "proxy", target: rest, appPort };
    }
    return { kind: "docker", readinessDelay: app.readinessDelay, deployTimeout: app.deployTimeout };
}

export function roleCmd(cfg: RoleConfig): string[] | undefined {
    if (cfg.cmd === undefined) return undefined;
    return Array.isArray(cfg.cmd) ? cfg.cmd : splitWords(cfg.cmd);
}

type EnvMap = Record<string, pulumi.Input<string>>;

/** App env, then role env, then env of each tag the host carries: later wins, as in Kamal. */
export function roleEnv(app: KamalAppConfig, role: string, tags: string[]): { clear: EnvMap; secret: EnvMap } {
    const layers = [app.env, app.roles[role].env, ...tags.flatMap((tag) => [app.env?.tags?.[tag], app.roles[role].env?.tags?.[tag]])];
    const clear: EnvMap = {};
    const secret: EnvMap = {};
    for (const layer of layers) {
        for (const [k, v] of Object.entries(layer?.clear ?? {})) { clear[k] = v; delete secret[k]; }
        for (const [k, v] of Object.entries(layer?.secret ?? {})) { secret[k] = v; delete clear[k]; }
    }
    return { clear, secret };
}

export function roleLabels(app: KamalAppConfig, role: string): Record<string, string> {
    return { ...app.labels, ...app.roles[role].labels };
}

/** Kamal merges a role's logging over the app's: the role's driver wins, options are combined. */
export function roleLogging(app: KamalAppConfig, role: string): KamalAppConfig["logging"] {
    const own = app.roles[role].logging;
    if (!app.logging && !own) return undefined;
    const driver = own?.driver ?? app.logging?.driver;
    const options = { ...app.logging?.options, ...own?.options };
    return { ...(driver ? { driver } : {}), ...(Object.keys(options).length ? { options } : {}) };
}

/** Kamal's stop timeout: the role's, else (proxied roles are drained by kamal-proxy first) Docker's default, else drainTimeout. */
export function roleStopTimeout(app: KamalAppConfig, role: string): number | undefined {
    return app.roles[role].stopTimeout ?? (isProxied(app, role) ? undefined : app.drainTimeout);
}

export function roleVolumes(app: KamalAppConfig, role: string): string[] {
    return [...(app.volumes ?? []), ...(app.roles[role].volumes ?? [])];
}

/** A host entry's address, tags and (when given) its stable key. */
export function hostEntry(entry: RoleConfig["hosts"][number]): { host: pulumi.Input<string>; tags: string[]; key?: string } {
    if (typeof entry === "object" && entry !== null && "host" in entry) {
        return { host: entry.host, tags: entry.tags, ...(entry.key !== undefined ? { key: entry.key } : {}) };
    }
    return { host: entry as pulumi.Input<string>, tags: [] };
}

/** A stable resource-name part for a host: its key, else the host itself when known now, else its position. */
export function hostKey(host: pulumi.Input<string>, index: number, key?: string): string {
    return key ?? (typeof host === "string" ? host : `host${index}`);
}

/**
 * Kamal's rolling boot: hosts in groups of `boot.limit` (a count or "25%"),
 * each group after the previous one is serving. Returns each host's group.
 */
export function bootGroups(hostCount: number, limit: number | string | undefined): number[] {
    if (limit === undefined) return Array.from({ length: hostCount }, () => 0);
    const size = typeof limit === "number" ? limit : Math.max(1, Math.ceil((hostCount * parseInt(limit, 10)) / 100));
    return Array.from({ length: hostCount }, (_, i) => Math.floor(i / size));
}
