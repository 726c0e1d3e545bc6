/** What a KamalApp offers other resources: pure functions from config to its outputs. */
import type { HookRun } from "../provider/resources/role-hook";

export type { HookRun };

/** The resolved values of {@link KamalApp}'s outputs, e.g. for a stack's exports. */
export interface KamalAppOutputs {
    /** Role names. */
    roles: string[];
    /** The deployed version: `version`, else the image's tag or digest. */
    version: string;
    /** Per proxied role, where kamal-proxy serves it: `https://host/prefix`, or `http://address[:port]` per host without a proxy host. */
    urls: Record<string, string[]>;
    /** The primary role's first URL (or the first proxied role's), if any role is proxied. */
    url?: string;
    /** Per role, the serving container's name per host address. */
    containers: Record<string, Record<string, string>>;
    /** Per role with a post-app-boot hook, its runs of the last deploy that ran it (host, container, exit code, timings, output tail). */
    hookRuns: Record<string, HookRun[]>;
}

/** Where kamal-proxy serves a role. */
export interface UrlSettings {
    hostNames: string[];
    ssl: boolean;
    pathPrefix?: string;
    ports: { http: number; https: number };
}

/** The role's URLs: one per proxy host name, else one per host address (any host name is routed then). */
export function roleUrls(s: UrlSettings, addresses: string[]): string[] {
    const scheme = s.ssl ? "https" : "http";
    const port = s.ssl ? (s.ports.https === 443 ? "" : `:${s.ports.https}`) : (s.ports.http === 80 ? "" : `:${s.ports.http}`);
    const names = s.hostNames.length ? s.hostNames : addresses.map((a) => (a.includes(":") && !a.startsWith("[") ? `[${a}]` : a));
    return [...new Set(names)].map((name) => `${scheme}://${name}${port}${s.pathPrefix ?? ""}`);
}
