/** Pure builders for kamal-proxy: its container and its `kamal-proxy` CLI, run via `docker exec`. */
import { Argv, KAMAL_NETWORK } from "./docker";

export const PROXY_CONTAINER = "kamal-proxy";

export interface ProxyRunSpec {
    image: string;
    httpPort: number;
    httpsPort: number;
}

/** Boot kamal-proxy as Kamal does, so the same host stays drivable by `kamal proxy ...`. */
export function runProxy(spec: ProxyRunSpec): Argv {
    return [
        "docker", "run",
        "--name", PROXY_CONTAINER,
        "--network", KAMAL_NETWORK,
        "--detach",
        "--restart", "unless-stopped",
        "--volume", "kamal-proxy-config:/home/kamal-proxy/.config/kamal-proxy",
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
    buffering?: { requests?: boolean; responses?: boolean; maxRequestBody?: number; maxResponseBody?: number; memory?: number };
}

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
        ...(t.tls && t.tlsRedirect === false ? ["--tls-redirect=false"] : []),
        "--deploy-timeout", secs(t.deployTimeout),
        "--drain-timeout", secs(t.drainTimeout),
        "--health-check-interval", secs(t.healthcheck.interval),
        "--health-check-timeout", secs(t.healthcheck.timeout),
        "--health-check-path", t.healthcheck.path,
        "--target-timeout", secs(t.responseTimeout),
        ...(t.forwardHeaders !== undefined ? [`--forward-headers=${t.forwardHeaders}`] : []),
        ...(b.requests ? ["--buffer-requests"] : []),
        ...(b.responses ? ["--buffer-responses"] : []),
        ...(b.memory !== undefined ? ["--buffer-memory", String(b.memory)] : []),
        ...(b.requests && b.maxRequestBody !== undefined ? ["--max-request-body", String(b.maxRequestBody)] : []),
        ...(b.responses && b.maxResponseBody !== undefined ? ["--max-response-body", String(b.maxResponseBody)] : []),
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
