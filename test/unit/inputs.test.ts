/** components/inputs.ts: the pure resolution from config to resource inputs. */
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import {
    hostEntry, hostKey, proxyServiceName, proxyTarget, roleCmd, roleEnv, roleHealth, roleLabels, roleProxy, roleVolumes, versionOf,
} from "../../components/inputs";
import { parseAppConfig } from "../../config/validate";
import { minimal } from "./config/helpers";

describe("resolve", () => {
    describe("versionOf", () => {
        it("is the tag", () => {
            assert.equal(versionOf("app:v1.2.3"), "v1.2.3");
            assert.equal(versionOf("ghcr.io/org/app:2024-01-01"), "2024-01-01");
        });

        it("does not mistake a registry port for a tag", () => {
            assert.equal(versionOf("registry.local:5000/app:v2"), "v2");
            assert.equal(versionOf("registry.local:5000/app"), "latest");
        });

        it("is the digest's first 12 hex digits when pinned by digest (even with a tag)", () => {
            const digest = `sha256:${"0123456789abcdef".repeat(4)}`;
            assert.equal(versionOf(`app@${digest}`), "0123456789ab");
            assert.equal(versionOf(`app:v1@${digest}`), "0123456789ab");
        });

        it("is latest without a tag", () => {
            assert.equal(versionOf("app"), "latest");
            assert.equal(versionOf("org/app"), "latest");
        });
    });

    it("proxyServiceName is SERVICE-ROLE[-DESTINATION]", () => {
        assert.equal(proxyServiceName({ service: "app" }, "web"), "app-web");
        assert.equal(proxyServiceName({ service: "app", destination: "staging" }, "web"), "app-web-staging");
    });

    describe("roleProxy", () => {
        const app = parseAppConfig("demo", minimal({
            // No ssl at the app: web and api share its host, and Let's Encrypt certifies a host for one role only.
            proxy: { host: "app.example.com", appPort: 3000, ssl: false, healthcheck: { path: "/health" } },
            roles: {
                web: { hosts: ["a"] },
                api: { hosts: ["b"], proxy: true },
                admin: { hosts: ["c"], proxy: { host: "admin.example.com", ssl: true, pathPrefix: "/admin", healthcheck: { interval: 2 } } },
            },
        }));

        it("a proxied role without its own settings uses the app's", () => {
            const expected = { host: "app.example.com", appPort: 3000, ssl: false, responseTimeout: 30, healthcheck: { path: "/health", interval: 1, timeout: 5 } };
            assert.deepEqual(roleProxy(app, "web"), expected);
            assert.deepEqual(roleProxy(app, "api"), expected);
        });

        it("a role's own settings win over the app's, which win over the defaults", () => {
            const p = roleProxy(app, "admin")!;
            assert.equal(p.host, "admin.example.com");
            assert.equal(p.pathPrefix, "/admin");
            assert.equal(p.appPort, 3000);
            assert.equal(p.ssl, true);
            assert.deepEqual(p.healthcheck, { path: "/health", interval: 2, timeout: 5 });
        });

        it("a role host replaces the app's hosts list", () => {
            const withHosts = parseAppConfig("demo", minimal({ proxy: { hosts: ["a.example.com", "b.example.com"] }, roles: { web: { hosts: ["a"], proxy: { host: "api.example.com" } } } }));
            assert.deepEqual(proxyTarget(withHosts, "web")!.hosts, ["api.example.com"]);
        });

        it("proxyTarget turns it into kamal-proxy deploy settings", () => {
            assert.deepEqual(proxyTarget(app, "web"), {
                service: "app-web",
                appPort: 3000,
                hosts: ["app.example.com"],
                pathPrefix: undefined,
                stripPathPrefix: undefined,
                tls: false,
                tlsRedirect: undefined,
                deployTimeout: 30,
                drainTimeout: 30,
                healthcheck: { path: "/health", interval: 1, timeout: 5 },
                responseTimeout: 30,
                forwardHeaders: undefined,
                buffering: undefined,
                logRequestHeaders: undefined,
                logResponseHeaders: undefined,
            });
        });

        it("roleHealth: proxied roles use kamal-proxy's check, others Docker's", () => {
            const withJobs = parseAppConfig("demo", minimal({ readinessDelay: 3, deployTimeout: 40, roles: { web: { hosts: ["a"] }, jobs: { hosts: ["b"] } } }));
            const web = roleHealth(withJobs, "web");
            assert.equal(web.kind, "proxy");
            assert.ok(web.kind === "proxy" && web.appPort === 80 && web.target.service === "app-web" && web.target.deployTimeout === 40);
            assert.deepEqual(roleHealth(withJobs, "jobs"), { kind: "docker", readinessDelay: 3, deployTimeout: 40 });
        });
    });

    describe("roleEnv", () => {
        const app = parseAppConfig("demo", minimal({
            env: {
                clear: { A: "app", B: "app", SHARED: "app-clear" },
                secret: { S: "app-secret" },
                tags: { db: { clear: { C: "app-db" }, secret: { B: "app-db-secret" } }, big: { clear: { C: "app-big" } } },
            },
            roles: {
                web: {
                    hosts: ["a"],
                    env: {
                        clear: { A: "role" },
                        secret: { SHARED: "role-secret" },
                        tags: { db: { clear: { S: "role-db-clear" } } },
                    },
                },
            },
        }));

        it("app env, then role env: later wins, a secret replaces a clear value", () => {
            assert.deepEqual(roleEnv(app, "web", []), {
                clear: { A: "role", B: "app" },
                secret: { S: "app-secret", SHARED: "role-secret" },
            });
        });

        it("then each tag (app's, then role's): a clear tag value replaces a secret and vice versa", () => {
            assert.deepEqual(roleEnv(app, "web", ["db"]), {
                clear: { A: "role", C: "app-db", S: "role-db-clear" },
                secret: { SHARED: "role-secret", B: "app-db-secret" },
            });
        });

        it("later tags win over earlier ones; unknown tags change nothing", () => {
            assert.equal(roleEnv(app, "web", ["db", "big"]).clear.C, "app-big");
            assert.equal(roleEnv(app, "web", ["big", "db"]).clear.C, "app-db");
            assert.deepEqual(roleEnv(app, "web", ["nope"]), roleEnv(app, "web", []));
        });

        it("no env anywhere gives empty maps", () => {
            assert.deepEqual(roleEnv(parseAppConfig("demo", minimal()), "web", ["x"]), { clear: {}, secret: {} });
        });
    });

    it("roleCmd: none, an argv as is, a string split as sh would", () => {
        const cmdOf = (cmd?: string | string[]) => roleCmd(parseAppConfig("demo", minimal({ roles: { web: { hosts: ["a"], cmd } } })).roles.web);
        assert.equal(cmdOf(undefined), undefined);
        assert.deepEqual(cmdOf(["bin/jobs", "--queue default"]), ["bin/jobs", "--queue default"]);
        assert.deepEqual(cmdOf(`bin/jobs --queue 'low priority'`), ["bin/jobs", "--queue", "low priority"]);
    });

    it("labels and volumes: app's then role's", () => {
        const app = parseAppConfig("demo", minimal({
            labels: { team: "core", tier: "app" },
            volumes: ["/data:/data"],
            roles: { web: { hosts: ["a"], labels: { tier: "web" }, volumes: ["/logs:/logs"] } },
        }));
        assert.deepEqual(roleLabels(app, "web"), { team: "core", tier: "web" });
        assert.deepEqual(roleVolumes(app, "web"), ["/data:/data", "/logs:/logs"]);
        assert.deepEqual(roleVolumes(parseAppConfig("demo", minimal()), "web"), []);
    });

    it("hostEntry and hostKey", () => {
        assert.deepEqual(hostEntry("10.0.0.1"), { host: "10.0.0.1", tags: [] });
        assert.deepEqual(hostEntry({ host: "10.0.0.2", tags: ["db"] }), { host: "10.0.0.2", tags: ["db"] });
        assert.equal(hostKey("10.0.0.1", 3), "10.0.0.1");
        assert.equal(hostKey(pulumi.output("10.0.0.1"), 3), "host3");
    });
});
