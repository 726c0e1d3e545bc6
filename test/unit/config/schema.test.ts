/** config/schema.ts: the app's shape as a whole, Kamal's defaults, and values refused before any host is touched. */
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { roleProxy } from "../../../components/inputs";
import type { KamalAppInput } from "../../../config/schema";
import { parseAppConfig } from "../../../config/validate";
import { minimal, problems } from "./helpers";

describe("appSchema", () => {
    describe("Kamal's defaults", () => {
        const app = parseAppConfig("demo", minimal());

        it("timeouts, retention and the proxy image", () => {
            assert.equal(app.deployTimeout, 30);
            assert.equal(app.drainTimeout, 30);
            assert.equal(app.readinessDelay, 7);
            assert.equal(app.retainContainers, 5);
            assert.equal(app.proxyImage, "basecamp/kamal-proxy:v0.9.2");
            assert.deepEqual(app.proxyPorts, { http: 80, https: 443 });
        });

        it("ssh as root on port 22, verifying host keys", () => {
            assert.deepEqual(app.ssh, { user: "root", port: 22, verifyHostKey: true });
        });

        it("primary role web", () => {
            assert.equal(app.primaryRole, "web");
        });

        it("proxy: app port 80, healthcheck /up every 1s with a 5s timeout, 30s response timeout, no TLS", () => {
            const withProxy = parseAppConfig("demo", minimal({ proxy: {} }));
            assert.deepEqual(roleProxy(withProxy, "web"), {
                appPort: 80, ssl: false, responseTimeout: 30, healthcheck: { path: "/up", interval: 1, timeout: 5 },
            });
            // the same defaults apply when the app has no proxy section at all
            assert.deepEqual(roleProxy(app, "web"), roleProxy(withProxy, "web"));
        });

        it("a partial healthcheck keeps the other defaults", () => {
            const p = roleProxy(parseAppConfig("demo", minimal({ proxy: { healthcheck: { path: "/health" } } })), "web")!;
            assert.deepEqual(p.healthcheck, { path: "/health", interval: 1, timeout: 5 });
        });

        it("ssh settings given keep the other defaults", () => {
            assert.deepEqual(parseAppConfig("demo", minimal({ ssh: { user: "deploy" } })).ssh, { user: "deploy", port: 22, verifyHostKey: true });
        });

        it("accepts deferred values (Outputs and Promises) where Inputs are allowed", () => {
            const image = pulumi.output("registry.example.com/app:v2");
            const host = Promise.resolve("10.0.0.9");
            const app2 = parseAppConfig("demo", minimal({ image, roles: { web: { hosts: [host] } } }));
            assert.equal(app2.image, image);
            assert.equal(app2.roles.web.hosts[0], host);
        });

        it("host entries with tags default to no tags", () => {
            const app2 = parseAppConfig("demo", minimal({ roles: { web: { hosts: [{ host: "10.0.0.1" }, { host: "10.0.0.2", tags: ["db"] }] } } }));
            assert.deepEqual(app2.roles.web.hosts, [{ host: "10.0.0.1", tags: [] }, { host: "10.0.0.2", tags: ["db"] }]);
        });
    });

    it("rejects up front values that would only fail on a host (Issue 11 §6)", () => {
        const one = (extra: Partial<KamalAppInput>) => {
            const p = problems(minimal(extra));
            assert.equal(p.length, 1, p.join("\n"));
            return p[0];
        };
        assert.match(one({ roles: { web: { hosts: ["a"], stopTimeout: 2.5 } } }), /^roles\.web\.stopTimeout: stopTimeout must be a whole number of seconds/);
        assert.match(one({ roles: { web: { hosts: ["a"], hooks: { postAppBoot: { command: "x", timeout: 2_147_484 } } } } }),
            /^roles\.web\.hooks\.postAppBoot\.timeout: hook timeout must be at most 2147483 seconds/);
        assert.match(one({ deployTimeout: 3e9 }), /^deployTimeout: deployTimeout must be at most 2147483 seconds/);
        for (const image of ["registry.example.com/App:v1", "app v1", "app:", "-app", "app:v1:v2", "host:port/app"]) {
            assert.match(one({ image }), /^image: image is not a Docker image reference/, image);
        }
        assert.match(one({ proxyImage: "basecamp/kamal proxy" }), /^proxyImage: proxyImage is not a Docker image reference/);
        for (const http of [0, 65536, 80.5]) assert.match(one({ proxyPorts: { http, https: 443 } }), /^proxyPorts\.http: proxyPorts\.http must be/, String(http));
        assert.match(one({ volumes: [""] }), /^volumes\[0\]: a volume cannot be empty/);
        assert.match(one({ roles: { web: { hosts: ["a"], volumes: ["data:/data", " "] } } }), /^roles\.web\.volumes\[1\]: a volume cannot be empty/);
        for (const appPort of [0, 65536]) assert.match(one({ proxy: { appPort } }), new RegExp(`^proxy\\.appPort: proxy\\.appPort must be between 1 and 65535 \\(got ${appPort}\\)$`));
        assert.match(one({ ssh: { port: 65536 } }), /^ssh\.port: ssh\.port must be between 1 and 65535 \(got 65536\)$/);
        for (const v of [":/data", "data", "data:", "data:/data:ro:x", "data:relative"]) {
            assert.match(one({ volumes: [v] }), /^volumes\[0\]: a volume is HOST_PATH_OR_NAME:CONTAINER_PATH\[:OPTIONS\]/, v);
        }
        assert.match(one({ roles: { web: { hosts: ["a"], hooks: { postAppBoot: { command: "x", env: { "BAD NAME": "1" } } } } } }),
            /^roles\.web\.hooks\.postAppBoot\.env\.BAD NAME: env names are letters, digits and '_', not starting with a digit \(got "BAD NAME"\)$/);
        assert.match(one({ env: { secret: { "9LIVES": "x" } } }), /^env\.secret\.9LIVES: env names/);
        assert.match(one({ readinessDelay: 3e9 }), /^readinessDelay: readinessDelay must be at most 2147483 seconds/);
        assert.match(one({ boot: { wait: 3e9 } }), /^boot\.wait: boot\.wait must be at most 2147483 seconds/);
        assert.doesNotThrow(() => parseAppConfig("demo", minimal({ volumes: ["/cache", "data:/data", "/srv/x:/x:ro"], readinessDelay: 0, boot: { wait: 0 } })));
        for (const image of ["app", "app:v1", "172.17.0.1:5000/pulumi-kamal/testapp:v2", "ghcr.io/org/app_x/web-1:2024.01.01",
            `app@sha256:${"a".repeat(64)}`, "localhost:5000/app:latest", "basecamp/kamal-proxy:v0.9.2"]) {
            assert.doesNotThrow(() => parseAppConfig("demo", minimal({ image, proxyImage: image, roles: { web: { hosts: ["a"], stopTimeout: 10 } } })), image);
        }
    });

    it("cross-field rules are reported with the other problems, not after they are fixed", () => {
        const p = problems(minimal({ deployTimeout: -1, proxy: { ssl: true }, roles: { web: { hosts: ["a"], bootAfter: ["nope"] } } }));
        assert.deepEqual(p.map((l) => l.split(":")[0]).sort(), ["deployTimeout", "proxy.ssl", "roles.web.bootAfter[0]"]);
    });
});
