/** Config validation (zod, Kamal's defaults, error text) and the pure resolution from config to resource inputs. */
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import {
    hostEntry, hostKey, proxyServiceName, proxyTarget, roleCmd, roleEnv, roleHealth, roleLabels, roleProxy,
    roleVolumes, versionOf,
} from "../../components/inputs";
import { bootOrder, isProxied, KamalAppInput, primaryRoleOf } from "../../config/schema";
import { formatPath, KamalConfigError, parseAppConfig } from "../../config/validate";
import { problems } from "./loader/helpers";

const minimal = (extra: Partial<KamalAppInput> = {}): KamalAppInput => ({
    service: "app",
    image: "registry.example.com/app:v1",
    roles: { web: { hosts: ["10.0.0.1"] } },
    ...extra,
});

describe("parseAppConfig", () => {
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

    describe("hook normalisation", () => {
        const hookOf = (postAppBoot: unknown) =>
            parseAppConfig("demo", minimal({ roles: { web: { hosts: ["h"], hooks: { postAppBoot: postAppBoot as never } } } })).roles.web.hooks?.postAppBoot;

        it("a string is a shell command with the defaults: before-traffic, primary, 300s, no env", () => {
            assert.deepEqual(hookOf("bin/rails db:migrate"), {
                command: "bin/rails db:migrate", when: "before-traffic", runOn: "primary", timeout: 300, env: {},
            });
        });

        it("an argv is kept as an argv", () => {
            assert.deepEqual(hookOf(["bin/rails", "db:migrate"]), {
                command: ["bin/rails", "db:migrate"], when: "before-traffic", runOn: "primary", timeout: 300, env: {},
            });
        });

        it("an object keeps what it sets", () => {
            assert.deepEqual(hookOf({ command: "x", when: "paused", runOn: "all", timeout: 60, env: { A: "1" } }), {
                command: "x", when: "paused", runOn: "all", timeout: 60, env: { A: "1" },
            });
        });

        it("an object with only a command gets the defaults", () => {
            assert.deepEqual(hookOf({ command: ["a"] }), { command: ["a"], when: "before-traffic", runOn: "primary", timeout: 300, env: {} });
            assert.equal(hookOf({ command: "a", when: "after-traffic" })?.when, "after-traffic");
        });

        it("rejects an empty argv", () => {
            assert.equal(problems(minimal({ roles: { web: { hosts: ["h"], hooks: { postAppBoot: [] } } } })).length, 1);
        });
    });

    describe("errors", () => {
        it("are KamalConfigErrors naming the app, one indented line per problem", () => {
            try {
                parseAppConfig("demo", minimal({ deployTimeout: 0, retainContainers: 0 }));
                assert.fail("accepted");
            } catch (e) {
                assert.ok(e instanceof KamalConfigError);
                assert.equal(e.name, "KamalConfigError");
                assert.equal(e.where, 'KamalApp "demo" configuration');
                assert.equal(e.message, [
                    'Invalid KamalApp "demo" configuration:',
                    "  - deployTimeout: deployTimeout must be more than 0 seconds (got 0)",
                    "  - retainContainers: retainContainers must keep at least 1 container (got 0)",
                ].join("\n"));
            }
        });

        it("list every problem at once, with path, message and value", () => {
            assert.deepEqual(problems({
                service: "App",
                image: "x",
                roles: { web: { hosts: ["root@10.0.0.1", "10.0.0.2"], bogus: 1 } },
                ssh: { port: 70000 },
                extra: true,
            }), [
                "service: service must be lowercase letters, digits, '-' or '_' (starting with a letter or digit) (got \"App\")",
                'roles.web.hosts[0]: host must be a hostname or IP address (no user@, no :port: set ssh.user and ssh.port instead) (got "root@10.0.0.1")',
                'roles.web: unknown key "bogus"; remove it or check the spelling',
                "ssh.port: ssh.port must be between 1 and 65535 (got 70000)",
                '(root): unknown key "extra"; remove it or check the spelling',
            ]);
        });

        it("unknown keys: one or several, no value shown", () => {
            assert.deepEqual(problems(minimal({ hostz: 1 } as never)), ['(root): unknown key "hostz"; remove it or check the spelling']);
            assert.deepEqual(problems(minimal({ a: 1, b: 2 } as never)), ['(root): unknown keys "a", "b"; remove them or check the spelling']);
            assert.deepEqual(problems(minimal({ proxy: { sll: true } as never })), ['proxy: unknown key "sll"; remove it or check the spelling']);
        });

        it("hosts with user@ or a :port are refused", () => {
            assert.deepEqual(problems(minimal({ roles: { web: { hosts: ["deploy@web1.example.com"] } } })), [
                'roles.web.hosts[0]: host must be a hostname or IP address (no user@, no :port: set ssh.user and ssh.port instead) (got "deploy@web1.example.com")',
            ]);
            assert.deepEqual(problems(minimal({ roles: { web: { hosts: [{ host: "web1:2222" }] } } })), [
                'roles.web.hosts[0].host: host must be a hostname or IP address (no user@, no :port: set ssh.user and ssh.port instead) (got "web1:2222")',
            ]);
        });

        it("accepts hostnames, IPv4, IPv6 and localhost", () => {
            const hosts = ["localhost", "web-1.example.com", "10.0.0.1", "::1", "[fe80::1]", "2001:db8::5"];
            assert.deepEqual(parseAppConfig("demo", minimal({ roles: { web: { hosts } } })).roles.web.hosts, hosts);
        });

        it("a role needs a host", () => {
            assert.deepEqual(problems(minimal({ roles: { web: { hosts: [] } } })), ["roles.web.hosts: a role needs at least one host (got [])"]);
        });

        it("a bad role name is reported at its path with its value", () => {
            const [problem, ...rest] = problems(minimal({ roles: { web: { hosts: ["h"] }, "Bad Role": { hosts: ["h"] } } }));
            assert.deepEqual(rest, []);
            assert.ok(problem.startsWith("roles.Bad Role: "), problem);
            assert.ok(problem.endsWith('(got "Bad Role")'), problem);
        });

        it("empty roles", () => {
            assert.deepEqual(problems(minimal({ roles: {} })), ["roles: at least one role is needed (got {})"]);
        });

        it("bootAfter: an unknown role", () => {
            const p = problems(minimal({ roles: { web: { hosts: ["a"] }, jobs: { hosts: ["b"], bootAfter: ["nope"] } } }));
            assert.equal(p.length, 1);
            assert.equal(p[0], 'roles.jobs.bootAfter[0]: unknown role; roles are: web, jobs (got "nope")');
        });

        it("bootAfter: itself", () => {
            const p = problems(minimal({ roles: { web: { hosts: ["a"] }, jobs: { hosts: ["b"], bootAfter: ["web", "jobs"] } } }));
            assert.ok(p[0].startsWith("roles.jobs.bootAfter[1]: a role cannot boot after itself"), p[0]);
        });

        it("bootAfter: a cycle, spelled out", () => {
            const p = problems(minimal({ roles: { web: { hosts: ["a"] }, jobs: { hosts: ["b"], bootAfter: ["cron"] }, cron: { hosts: ["c"], bootAfter: ["jobs"] } } }));
            assert.equal(p.length, 1);
            assert.ok(p[0].startsWith("roles: bootAfter forms a cycle: jobs -> cron -> jobs; remove one of these dependencies"), p[0]);
        });

        it("bootAfter through the default (non-primary after primary) can close a cycle", () => {
            const p = problems(minimal({ roles: { web: { hosts: ["a"], bootAfter: ["jobs"] }, jobs: { hosts: ["b"] } } }));
            assert.ok(p[0].startsWith("roles: bootAfter forms a cycle: web -> jobs -> web"), p[0]);
        });

        it("a hook with a bad `when`, `runOn` or command names the field, the value and the choices", () => {
            const hookProblems = (bad: unknown) => problems(minimal({ roles: { web: { hosts: ["a"], hooks: { postAppBoot: bad as never } } } }));
            assert.deepEqual(hookProblems({ command: "x", when: "later" }), ['roles.web.hooks.postAppBoot.when: when must be one of before-traffic, after-traffic, paused (got "later")']);
            assert.deepEqual(hookProblems({ command: "x", runOn: "some" }), ['roles.web.hooks.postAppBoot.runOn: runOn must be "primary" (once per role) or "all" (every host) (got "some")']);
            assert.deepEqual(hookProblems(""), ['roles.web.hooks.postAppBoot.command: a hook command cannot be empty (got "")']);
        });

        it("a bad role or env name gets its own message, not zod's generic one", () => {
            assert.deepEqual(problems(minimal({ roles: { "Bad Role": { hosts: ["a"] } } })).filter((p) => p.startsWith("roles.Bad Role")),
                ['roles.Bad Role: role name must be lowercase letters, digits, \'-\' or \'_\' (starting with a letter or digit) (got "Bad Role")']);
            assert.match(problems(minimal({ env: { clear: { "1BAD": "x" } } }))[0], /^env\.clear\.1BAD: env names are letters, digits and '_'/);
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

        it("rejects host:port even when the host looks like hex (db:2222), and accepts IPv6", () => {
            for (const bad of ["db:2222", "cafe:22", "[::1"]) assert.equal(problems(minimal({ roles: { web: { hosts: [bad] } } })).length, 1, bad);
            for (const good of ["::1", "fe80::1", "[2001:db8::1]", "10.0.0.1", "web-1.example.com"]) assert.doesNotThrow(() => parseAppConfig("demo", minimal({ roles: { web: { hosts: [good] } } })), good);
        });

        it("a paused hook needs a role behind kamal-proxy", () => {
            const p = problems(minimal({ roles: { web: { hosts: ["a"] }, jobs: { hosts: ["b"], hooks: { postAppBoot: { command: "x", when: "paused" } } } } }));
            assert.equal(p.length, 1);
            assert.ok(p[0].startsWith('roles.jobs.hooks.postAppBoot.when: "paused" holds kamal-proxy traffic, but role "jobs" is not behind kamal-proxy'), p[0]);
            assert.doesNotThrow(() => parseAppConfig("demo", minimal({
                roles: { web: { hosts: ["a"] }, jobs: { hosts: ["b"], proxy: true, hooks: { postAppBoot: { command: "x", when: "paused" } } } },
            })));
        });

        it("a negative hook timeout", () => {
            assert.deepEqual(problems(minimal({ roles: { web: { hosts: ["a"], hooks: { postAppBoot: { command: "x", timeout: -5 } } } } })), [
                "roles.web.hooks.postAppBoot.timeout: hook timeout must be more than 0 seconds (got -5)",
            ]);
        });

        it("primaryRole must be a role (unless left at the default web)", () => {
            const p = problems(minimal({ primaryRole: "api" }));
            assert.equal(p.length, 1);
            assert.equal(p[0], 'primaryRole: not a role; roles are: web (got "api")');
            assert.doesNotThrow(() => parseAppConfig("demo", minimal({ roles: { api: { hosts: ["a"] } } })));
        });

        it("proxy.host and proxy.hosts together", () => {
            const p = problems(minimal({ proxy: { host: "a.example.com", hosts: ["b.example.com"] } }));
            assert.ok(p[0].startsWith("proxy: set proxy.host or proxy.hosts, not both (got "), p[0]);
        });

        it("host key pins must be SHA256 fingerprints", () => {
            assert.deepEqual(problems(minimal({ ssh: { hostKeys: { "10.0.0.1": "MD5:aa" } } })), [
                'ssh.hostKeys.10.0.0.1: host key pins are OpenSSH SHA256 fingerprints: SHA256:... (got "MD5:aa")',
            ]);
        });

        it("long values are cut at 60 characters", () => {
            const [p] = problems(minimal({ service: "X".repeat(100) }));
            assert.ok(p.endsWith(`(got "${"X".repeat(56)}...)`), p);
        });

        it("formatPath joins keys with dots and indexes with brackets", () => {
            assert.equal(formatPath(["roles", "web", "hosts", 0, "host"]), "roles.web.hosts[0].host");
            assert.equal(formatPath([0]), "[0]");
            assert.equal(formatPath([]), "");
        });
    });
});

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

    describe("isProxied and primary role", () => {
        const app = parseAppConfig("demo", minimal({
            roles: {
                web: { hosts: ["a"] },
                jobs: { hosts: ["b"] },
                api: { hosts: ["c"], proxy: true },
                admin: { hosts: ["d"], proxy: { pathPrefix: "/admin" } },
                off: { hosts: ["e"], proxy: false },
            },
        }));

        it("the primary role is proxied by default, others only when they say so", () => {
            assert.equal(isProxied(app, "web"), true);
            assert.equal(isProxied(app, "jobs"), false);
            assert.equal(isProxied(app, "api"), true);
            assert.equal(isProxied(app, "admin"), true);
            assert.equal(isProxied(app, "off"), false);
            assert.equal(roleProxy(app, "jobs"), undefined);
            assert.equal(proxyTarget(app, "jobs"), undefined);
        });

        it("the primary role can opt out", () => {
            const noProxy = parseAppConfig("demo", minimal({ roles: { web: { hosts: ["a"], proxy: false } } }));
            assert.equal(isProxied(noProxy, "web"), false);
        });

        it("without a web role the first role is primary", () => {
            const app2 = parseAppConfig("demo", minimal({ roles: { api: { hosts: ["a"] }, jobs: { hosts: ["b"] } } }));
            assert.equal(primaryRoleOf(app2), "api");
            assert.equal(isProxied(app2, "api"), true);
            assert.equal(isProxied(app2, "jobs"), false);
        });
    });

    describe("roleProxy", () => {
        const app = parseAppConfig("demo", minimal({
            proxy: { host: "app.example.com", appPort: 3000, ssl: true, healthcheck: { path: "/health" } },
            roles: {
                web: { hosts: ["a"] },
                api: { hosts: ["b"], proxy: true },
                admin: { hosts: ["c"], proxy: { host: "admin.example.com", pathPrefix: "/admin", healthcheck: { interval: 2 } } },
            },
        }));

        it("a proxied role without its own settings uses the app's", () => {
            const expected = { host: "app.example.com", appPort: 3000, ssl: true, responseTimeout: 30, healthcheck: { path: "/health", interval: 1, timeout: 5 } };
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
                tls: true,
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

    it("bootOrder: non-primary roles after the primary by default; bootAfter overrides", () => {
        const app = parseAppConfig("demo", minimal({
            roles: { web: { hosts: ["a"] }, jobs: { hosts: ["b"] }, cron: { hosts: ["c"], bootAfter: ["jobs"] }, solo: { hosts: ["d"], bootAfter: [] } },
        }));
        assert.deepEqual(bootOrder(app), { web: [], jobs: ["web"], cron: ["jobs"], solo: [] });
        const noWeb = parseAppConfig("demo", minimal({ roles: { api: { hosts: ["a"] }, jobs: { hosts: ["b"] } } }));
        assert.deepEqual(bootOrder(noWeb), { api: [], jobs: ["api"] });
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
