/** config/sections/proxy.ts: proxy settings, which roles are proxied, the merge of a role's settings over the app's, and the SSL rules. */
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { KamalApp } from "../../../components/KamalApp";
import { proxyTarget, roleProxy } from "../../../components/inputs";
import { isProxied, mergeProxy, primaryRoleOf, replaceHosts } from "../../../config/schema";
import { KamalConfigError, parseAppConfig } from "../../../config/validate";
import { minimal, problems, yamlProblems } from "./helpers";

const head = ["service: app", "image: registry.example.com/app:v1"];

describe("proxy", () => {
    it("proxy.host and proxy.hosts together", () => {
        const p = problems(minimal({ proxy: { host: "a.example.com", hosts: ["b.example.com"] } }));
        assert.ok(p[0].startsWith("proxy: set proxy.host or proxy.hosts, not both (got "), p[0]);
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

    it("ssl: true needs proxy.host or proxy.hosts (app proxy)", () => {
        const fix = "ssl: true needs proxy.host or proxy.hosts: Let's Encrypt certifies named hosts";
        assert.deepEqual(problems(minimal({ proxy: { ssl: true } })), [`proxy.ssl: ${fix}`]);
        assert.deepEqual(yamlProblems([...head, "servers: [10.0.0.1]", "proxy:", "  ssl: true"]), [`config/deploy.yml:5: proxy.ssl: ${fix}`]);
    });

    it("ssl: true needs a host on a role's own proxy too", () => {
        const p = problems(minimal({ roles: { web: { hosts: ["a"] }, api: { hosts: ["b"], proxy: { ssl: true } } } }));
        assert.deepEqual(p, ["roles.api.proxy.ssl: ssl: true needs proxy.host or proxy.hosts: Let's Encrypt certifies named hosts"]);
        assert.deepEqual(yamlProblems([...head, "servers:", "  web: [a]", "  api:", "    hosts: [b]", "    proxy:", "      ssl: true"]),
            ["config/deploy.yml:8: servers.api.proxy.ssl: ssl: true needs proxy.host or proxy.hosts: Let's Encrypt certifies named hosts"]);
    });

    it("ssl: true works with one host per role", () => {
        const message = "ssl: true (Let's Encrypt) works with one host per role; role web has 2: terminate TLS in front of the hosts and set ssl: false";
        assert.deepEqual(problems(minimal({ proxy: { host: "shop.example", ssl: true }, roles: { web: { hosts: ["a", "b"] } } })), [`roles.web: ${message}`]);
        assert.deepEqual(yamlProblems([...head, "servers:", "  web: [a, b]", "proxy:", "  host: shop.example", "  ssl: true"]),
            [`config/deploy.yml:4: servers.web: ${message}`]);
        // A certificate of one's own is not Let's Encrypt: any number of hosts.
        const cert = { certificatePem: pulumi.secret("C"), privateKeyPem: pulumi.secret("K") };
        assert.doesNotThrow(() => parseAppConfig("certs", minimal({ proxy: { host: "shop.example", ssl: cert }, roles: { web: { hosts: ["a", "b"] } } })));
    });

    it("two roles cannot serve one host name with ssl: true", () => {
        const message = "roles web and api both serve shop.example with ssl: true; give each role its own proxy host";
        assert.deepEqual(problems(minimal({ proxy: { host: "shop.example", ssl: true }, roles: { web: { hosts: ["a"] }, api: { hosts: ["b"], proxy: true } } })),
            [`roles.api: ${message}`]);
        assert.deepEqual(yamlProblems([...head, "servers:", "  web: [a]", "  api:", "    hosts: [b]", "    proxy: true", "proxy:", "  host: shop.example", "  ssl: true"]),
            [`config/deploy.yml:5: servers.api: ${message}`]);
    });

    it("new KamalApp throws these before any resource exists", () => {
        assert.throws(() => new KamalApp("ssl", minimal({ proxy: { ssl: true } })),
            (e: unknown) => e instanceof KamalConfigError && /KamalApp "ssl" configuration:\n {2}- proxy\.ssl: ssl: true needs proxy\.host/.test(e.message));
    });

    it("a role's proxy with both host and hosts is rejected in deploy.yml too (the merge no longer hides it)", () => {
        assert.deepEqual(problems(minimal({ roles: { web: { hosts: ["a"], proxy: { host: "a.example", hosts: ["b.example"] } } } })),
            ['roles.web.proxy: set proxy.host or proxy.hosts, not both (got {"host":"a.example","hosts":["b.example"]})']);
        assert.deepEqual(yamlProblems([...head, "servers:", "  web:", "    hosts: [a]", "    proxy:", "      host: a.example", "      hosts: [b.example]"]),
            ['config/deploy.yml:6: servers.web.proxy: set proxy.host or proxy.hosts, not both (got {"host":"a.example","hosts":["b.example"]})']);
    });

    it("replaceHosts: a role's host replaces the app's hosts and the other way round; both set are left for the schema to reject", () => {
        const merge = (app: object, role: object) => {
            const merged: Record<string, unknown> = { ...app, ...role };
            replaceHosts(merged, role);
            return merged;
        };
        assert.deepEqual(merge({ hosts: ["a"] }, { host: "b" }), { host: "b" });
        assert.deepEqual(merge({ host: "a" }, { hosts: ["b"] }), { hosts: ["b"] });
        assert.deepEqual(merge({ host: "a" }, { appPort: 3000 }), { host: "a", appPort: 3000 });
        assert.deepEqual(merge({ hosts: ["a"] }, { host: "b", hosts: ["c"] }), { host: "b", hosts: ["c"] });
        assert.deepEqual(mergeProxy({ hosts: ["a"] }, { host: "b" }).host, "b");
        assert.equal(mergeProxy({ hosts: ["a"] }, { host: "b" }).hosts, undefined);
    });
});
