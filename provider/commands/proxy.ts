/** Pure builders for kamal-proxy: its container and its `kamal-proxy` CLI, run via `docker exec`. */
import { Argv, KAMAL_NETWORK } from "./docker";

export const PROXY_CONTAINER = "kamal-proxy";

export interface ProxyRunSpec {
    image: string;
    httpPort: number;
    httpsPort: number;
    /**
     * Absolute host path of `.kamal/proxy/apps-config`, bind-mounted where
     * Kamal mounts it: error pages and custom certificates live there.
     */
    appsConfigDir?: string;
}

/** Where Kamal keeps kamal-proxy's per-app files, relative to the SSH user's home, and where the proxy sees them. */
export const APPS_CONFIG_DIR = ".kamal/proxy/apps-config";
export const APPS_CONFIG_MOUNT = "/home/kamal-proxy/.apps-config";
/**
 * What kamal-proxy routes a role to: the container's short ID and the app's
 * port (`docker run --network kamal` makes the ID a resolvable name). Health
 * checks, switches, watchdog rollbacks and drift reads all compare this form.
 */
export const upstream = (containerId: string, appPort: number): string => `${containerId.slice(0, 12)}:${appPort}`;

/** The oldest kamal-proxy Kamal 2.12 drives. */
export const MINIMUM_PROXY_VERSION = "v0.9.2";

/** Boot kamal-proxy as Kamal does, so the same host stays drivable by `kamal proxy ...`. */
export function runProxy(spec: ProxyRunSpec): Argv {
    return [
        "docker", "run",
        "--name", PROXY_CONTAINER,
        "--network", KAMAL_NETWORK,
        "--detach",
        "--restart", "unless-stopped",
        "--volume", "kamal-proxy-config:/home/kamal-proxy/.config/kamal-proxy",
        ...(spec.appsConfigDir ? ["--volume", `${spec.appsConfigDir}:${APPS_CONFIG_MOUNT}`] : []),
        "--publish", `${spec.httpPort}:80`,
        "--publish", `${spec.httpsPort}:443`,
        "--log-opt", "max-size=10m",
        "--label", "org.opencontainers.image.title=kamal-proxy",
        spec.image,
    ];
}

const proxyCli = (...args: string[]): Argv => ["docker", "exec", PROXY_CONTAINER, "kamal-proxy", ...args];

export interface DeployTarget {
    /** kamal-proxy service name: SERVICE-ROLE[-DESTINATION]. */
    service: string;
    /** `container:port`, resolved by Docker's DNS on the kamal network. */
    target: string;
    hosts?: string[];
    pathPrefix?: string;
    stripPathPrefix?: boolean;
    tls?: boolean;
    tlsRedirect?: boolean;
    deployTimeout: number;
    drainTimeout: number;
    healthcheck: { path: string; interval: number; timeout: number };
    responseTimeout: number;
    forwardHeaders?: boolean;
    /** Kamal's default: both on. */
    buffering?: { requests?: boolean; responses?: boolean; maxRequestBody?: number; maxResponseBody?: number; memory?: number };
    /** Request headers kamal-proxy logs; Kamal's default when unset: Cache-Control, Last-Modified, User-Agent. */
    logRequestHeaders?: string[];
    logResponseHeaders?: string[];
    /** Paths inside the proxy container (under APPS_CONFIG_MOUNT). */
    errorPages?: string;
    tlsCertificatePath?: string;
    tlsPrivateKeyPath?: string;
}

export const DEFAULT_LOG_REQUEST_HEADERS = ["Cache-Control", "Last-Modified", "User-Agent"];

const flag = (name: string, on: boolean) => (on ? [`--${name}`] : [`--${name}=false`]);

const secs = (n: number) => `${n}s`;

/** Health-checked switch: kamal-proxy routes to `target` once it answers 2xx on the health path, then drains the old one. */
export function deploy(t: DeployTarget): Argv {
    const b = t.buffering ?? {};
    return proxyCli(
        "deploy", t.service,
        "--target", t.target,
        ...(t.hosts ?? []).flatMap((h) => ["--host", h]),
        ...(t.pathPrefix ? ["--path-prefix", t.pathPrefix] : []),
        ...(t.stripPathPrefix === false ? ["--strip-path-prefix=false"] : []),
        ...(t.tls ? ["--tls"] : []),
        ...(t.tls && t.tlsCertificatePath ? ["--tls-certificate-path", t.tlsCertificatePath] : []),
        ...(t.tls && t.tlsPrivateKeyPath ? ["--tls-private-key-path", t.tlsPrivateKeyPath] : []),
        ...(t.tls && t.tlsRedirect === false ? ["--tls-redirect=false"] : []),
        "--deploy-timeout", secs(t.deployTimeout),
        "--drain-timeout", secs(t.drainTimeout),
        "--health-check-interval", secs(t.healthcheck.interval),
        "--health-check-timeout", secs(t.healthcheck.timeout),
        "--health-check-path", t.healthcheck.path,
        "--target-timeout", secs(t.responseTimeout),
        ...(t.forwardHeaders !== undefined ? [`--forward-headers=${t.forwardHeaders}`] : []),
        ...flag("buffer-requests", b.requests ?? true),
        ...flag("buffer-responses", b.responses ?? true),
        ...(b.memory !== undefined ? ["--buffer-memory", String(b.memory)] : []),
        ...(b.maxRequestBody !== undefined ? ["--max-request-body", String(b.maxRequestBody)] : []),
        ...(b.maxResponseBody !== undefined ? ["--max-response-body", String(b.maxResponseBody)] : []),
        ...(t.logRequestHeaders ?? DEFAULT_LOG_REQUEST_HEADERS).flatMap((h) => ["--log-request-header", h]),
        ...(t.logResponseHeaders ?? []).flatMap((h) => ["--log-response-header", h]),
        ...(t.errorPages ? ["--error-pages", t.errorPages] : []),
    );
}

/**
 * The same health test kamal-proxy applies before a switch, run against a
 * throwaway service on a host name nobody requests: the app image needs no
 * curl or wget, and "healthy" means exactly what the switch will require.
 */
export function preflight(t: DeployTarget, id: string): { deploy: Argv; remove: Argv; service: string } {
    const service = `${t.service}-preflight-${id}`;
    return {
        service,
        deploy: deploy({ ...t, service, hosts: [`${id}.preflight.invalid`], pathPrefix: undefined, tls: false, drainTimeout: 1 }),
        remove: remove(service),
    };
}

/** Hold new requests (in-flight ones drain); kamal-proxy answers 504 past maxPause. */
export const pause = (service: string, drainTimeout: number, maxPause: number): Argv =>
    proxyCli("pause", service, "--drain-timeout", secs(drainTimeout), "--max-pause", secs(maxPause));
export const resume = (service: string): Argv => proxyCli("resume", service);
export const remove = (service: string): Argv => proxyCli("remove", service);
export const list = (): Argv => proxyCli("list");

/** Creates `.kamal/proxy/apps-config` under the SSH user's home (as `kamal proxy boot` does) and prints its absolute path. */
export const ensureAppsConfigDir = (): Argv =>
    ["sh", "-c", 'cd "$HOME" && mkdir -p "$1" && printf %s "$PWD/$1"', "sh", APPS_CONFIG_DIR];

/** The running proxy's image and its bind mounts' destinations. */
export const inspectProxy = (): Argv =>
    ["docker", "container", "inspect", "--format", "{{.Config.Image}}\t{{range .Mounts}}{{.Destination}} {{end}}", PROXY_CONTAINER];

/** Whether a kamal-proxy image tag is older than Kamal's minimum (`v0.9.2`); non-version tags are not judged. */
export function olderThanMinimum(image: string): boolean {
    const tag = /:v?(\d+)\.(\d+)\.(\d+)$/.exec(image);
    if (!tag) return false;
    const [a, b, c] = tag.slice(1).map(Number);
    const [x, y, z] = MINIMUM_PROXY_VERSION.slice(1).split(".").map(Number);
    return a !== x ? a < x : b !== y ? b < y : c < z;
}

/** One row of `kamal-proxy list` for a service, or undefined when the route is missing. */
export interface Route {
    host: string;
    path: string;
    target: string;
    state: string;
    tls: boolean;
}

/** Parses `kamal-proxy list`: every cell is wrapped in ANSI styling, so empty cells survive. */
export function parseProxyList(stdout: string): Record<string, Route> {
    const routes: Record<string, Route> = {};
    for (const line of stdout.split("\n").slice(1)) {
        const cells = [...line.matchAll(/\x1b\[[0-9;]*m(.*?)\x1b\[0m/g)].map((m) => m[1]);
        const fields = cells.length >= 6 ? cells : line.trim().split(/\s{2,}/);
        if (fields.length < 6 || !fields[0]) continue;
        const [service, host, path, target, state, tls] = fields;
        routes[service] = { host, path, target, state, tls: tls === "yes" };
    }
    return routes;
}
