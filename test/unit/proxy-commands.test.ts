/** provider/commands/proxy.ts: the kamal-proxy container and CLI argv builders. */
import assert from "node:assert/strict";
import * as proxy from "../../provider/commands/proxy";
import { PROXY_CLI } from "./provider-hosts";

describe("kamal-proxy commands", () => {
    it("upstream: the container's short ID and the app port, whatever the ID's length", () => {
        assert.equal(proxy.upstream("0123456789abcdef".repeat(4), 3000), "0123456789ab:3000");
        assert.equal(proxy.upstream("0123456789ab", 80), "0123456789ab:80");
    });

    const target: proxy.DeployTarget = {
        service: "app-web",
        target: "0123456789ab:3000",
        deployTimeout: 30,
        drainTimeout: 30,
        healthcheck: { path: "/up", interval: 1, timeout: 5 },
        responseTimeout: 30,
    };

    it("runProxy boots kamal-proxy as Kamal does", () => {
        assert.deepEqual(proxy.runProxy({ image: "basecamp/kamal-proxy:v0.9.2", httpPort: 80, httpsPort: 443 }), [
            "docker", "run", "--name", "kamal-proxy", "--network", "kamal", "--detach", "--restart", "unless-stopped",
            "--volume", "kamal-proxy-config:/home/kamal-proxy/.config/kamal-proxy",
            "--publish", "80:80", "--publish", "443:443",
            "--log-opt", "max-size=10m",
            "--label", "org.opencontainers.image.title=kamal-proxy",
            "basecamp/kamal-proxy:v0.9.2",
        ]);
        const custom = proxy.runProxy({ image: "p:1", httpPort: 8080, httpsPort: 8443 });
        assert.deepEqual(custom.slice(11, 15), ["--publish", "8080:80", "--publish", "8443:443"]);
        // Kamal's bind mount of .kamal/proxy/apps-config, right after the config volume
        const mounted = proxy.runProxy({ image: "p:1", httpPort: 80, httpsPort: 443, appsConfigDir: "/home/deploy/.kamal/proxy/apps-config" });
        assert.deepEqual(mounted.slice(9, 15), [
            "--volume", "kamal-proxy-config:/home/kamal-proxy/.config/kamal-proxy",
            "--volume", "/home/deploy/.kamal/proxy/apps-config:/home/kamal-proxy/.apps-config",
            "--publish", "80:80",
        ]);
    });

    const KAMAL_DEFAULTS = [
        "--buffer-requests", "--buffer-responses",
        "--log-request-header", "Cache-Control", "--log-request-header", "Last-Modified", "--log-request-header", "User-Agent",
    ];

    it("deploy with only the required settings: timeouts in seconds, Kamal's buffering and header logging", () => {
        assert.deepEqual(proxy.deploy(target), [
            ...PROXY_CLI, "deploy", "app-web",
            "--target", "0123456789ab:3000",
            "--deploy-timeout", "30s",
            "--drain-timeout", "30s",
            "--health-check-interval", "1s",
            "--health-check-timeout", "5s",
            "--health-check-path", "/up",
            "--target-timeout", "30s",
            ...KAMAL_DEFAULTS,
        ]);
    });

    it("deploy with every flag", () => {
        assert.deepEqual(proxy.deploy({
            ...target,
            hosts: ["app.example.com", "www.example.com"],
            pathPrefix: "/api",
            stripPathPrefix: false,
            tls: true,
            tlsRedirect: false,
            deployTimeout: 45,
            drainTimeout: 10,
            healthcheck: { path: "/health", interval: 2, timeout: 3 },
            responseTimeout: 60,
            forwardHeaders: true,
            buffering: { requests: true, responses: true, maxRequestBody: 1000, maxResponseBody: 2000, memory: 500 },
        }), [
            ...PROXY_CLI, "deploy", "app-web",
            "--target", "0123456789ab:3000",
            "--host", "app.example.com", "--host", "www.example.com",
            "--path-prefix", "/api",
            "--strip-path-prefix=false",
            "--tls",
            "--tls-redirect=false",
            "--deploy-timeout", "45s",
            "--drain-timeout", "10s",
            "--health-check-interval", "2s",
            "--health-check-timeout", "3s",
            "--health-check-path", "/health",
            "--target-timeout", "60s",
            "--forward-headers=true",
            "--buffer-requests",
            "--buffer-responses",
            "--buffer-memory", "500",
            "--max-request-body", "1000",
            "--max-response-body", "2000",
            "--log-request-header", "Cache-Control", "--log-request-header", "Last-Modified", "--log-request-header", "User-Agent",
        ]);
    });

    it("deploy: flags that only apply with their switch", () => {
        const tail = (t: Partial<proxy.DeployTarget>) => proxy.deploy({ ...target, ...t }).slice(PROXY_CLI.length + 16);
        // tls-redirect only with tls
        assert.deepEqual(tail({ tlsRedirect: false }), KAMAL_DEFAULTS);
        assert.ok(proxy.deploy({ ...target, tls: true, tlsRedirect: true }).includes("--tls"));
        assert.ok(!proxy.deploy({ ...target, tls: true, tlsRedirect: true }).some((a) => a.startsWith("--tls-redirect")));
        // strip-path-prefix only when turned off
        assert.ok(!proxy.deploy({ ...target, pathPrefix: "/x", stripPathPrefix: true }).some((a) => a.startsWith("--strip")));
        // buffering is on unless turned off (Kamal's default); limits and memory as given
        const logged = KAMAL_DEFAULTS.slice(2);
        assert.deepEqual(tail({ buffering: { requests: false, responses: false } }), ["--buffer-requests=false", "--buffer-responses=false", ...logged]);
        assert.deepEqual(tail({ buffering: { memory: 0, maxRequestBody: 10, maxResponseBody: 20 } }),
            ["--buffer-requests", "--buffer-responses", "--buffer-memory", "0", "--max-request-body", "10", "--max-response-body", "20", ...logged]);
        // header logging replaces Kamal's default list when set; response headers only when set
        assert.deepEqual(tail({ logRequestHeaders: ["X-Request-Id"], logResponseHeaders: ["Location"] }),
            ["--buffer-requests", "--buffer-responses", "--log-request-header", "X-Request-Id", "--log-response-header", "Location"]);
        assert.deepEqual(tail({ logRequestHeaders: [] }), ["--buffer-requests", "--buffer-responses"]);
        // forward-headers both ways, absent when unset
        assert.deepEqual(tail({ forwardHeaders: false }), ["--forward-headers=false", ...KAMAL_DEFAULTS]);
        assert.deepEqual(tail({}), KAMAL_DEFAULTS);
    });

    it("preflight deploys a throwaway service on an .invalid host, no TLS, no path prefix, 1s drain", () => {
        const check = proxy.preflight({ ...target, hosts: ["app.example.com"], pathPrefix: "/api", tls: true, drainTimeout: 30 }, "0123456789ab");
        assert.equal(check.service, "app-web-preflight-0123456789ab");
        assert.deepEqual(check.deploy, [
            ...PROXY_CLI, "deploy", "app-web-preflight-0123456789ab",
            "--target", "0123456789ab:3000",
            "--host", "0123456789ab.preflight.invalid",
            "--deploy-timeout", "30s",
            "--drain-timeout", "1s",
            "--health-check-interval", "1s",
            "--health-check-timeout", "5s",
            "--health-check-path", "/up",
            "--target-timeout", "30s",
            ...KAMAL_DEFAULTS,
        ]);
        assert.deepEqual(check.remove, [...PROXY_CLI, "remove", "app-web-preflight-0123456789ab"]);
    });

    it("preflight services are unique per container", () => {
        assert.notEqual(proxy.preflight(target, "aaaaaaaaaaaa").service, proxy.preflight(target, "bbbbbbbbbbbb").service);
    });

    it("pause, resume, remove, list", () => {
        assert.deepEqual(proxy.pause("app-web", 30, 365), [...PROXY_CLI, "pause", "app-web", "--drain-timeout", "30s", "--max-pause", "365s"]);
        assert.deepEqual(proxy.resume("app-web"), [...PROXY_CLI, "resume", "app-web"]);
        assert.deepEqual(proxy.remove("app-web"), [...PROXY_CLI, "remove", "app-web"]);
        assert.deepEqual(proxy.list(), [...PROXY_CLI, "list"]);
    });
});
