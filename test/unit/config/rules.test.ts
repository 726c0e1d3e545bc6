/**
 * Rules deploy.yml had alone before they moved into the schema: the
 * TypeScript API now rejects the same input, naming the field path, the value
 * (when the path does not) and the fix; deploy.yml says the same at its line.
 */
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { KamalApp } from "../../../components/KamalApp";
import { KamalConfigError, parseAppConfig } from "../../../config/validate";
import { minimal, problems, yamlProblems } from "./helpers";

const head = ["service: app", "image: registry.example.com/app:v1"];

describe("rules once in the schema, for TypeScript and deploy.yml", () => {
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

    it("destination, role and service are reserved labels, at the app and on a role", () => {
        const fix = "destination, role and service are reserved labels: pulumi-kamal sets them; remove this label";
        assert.deepEqual(problems(minimal({ labels: { role: "x", team: "a" }, roles: { web: { hosts: ["a"], labels: { service: "y" } } } })),
            [`roles.web.labels.service: ${fix}`, `labels.role: ${fix}`]);
        assert.deepEqual(yamlProblems([...head, "servers:", "  web:", "    hosts: [a]", "    labels:", "      destination: x", "labels:", "  team: a"]),
            [`config/deploy.yml:7: servers.web.labels.destination: ${fix}`]);
    });

    it("options.restart is a Docker restart policy", () => {
        const fix = 'should be no, always, unless-stopped, on-failure or on-failure:N (write "no" in quotes to disable restarts)';
        assert.deepEqual(problems(minimal({ roles: { web: { hosts: ["a"], options: { restart: "sometimes" } } } })), [`roles.web.options.restart: ${fix} (got "sometimes")`]);
        assert.deepEqual(problems(minimal({ roles: { web: { hosts: ["a"], options: { restart: false } } } })), [`roles.web.options.restart: ${fix} (got false)`]);
        for (const ok of ["no", "always", "unless-stopped", "on-failure", "on-failure:3"]) {
            assert.doesNotThrow(() => parseAppConfig("demo", minimal({ roles: { web: { hosts: ["a"], options: { restart: ok } } } })), ok);
        }
        // YAML's bare no is false: the hint says to quote it.
        assert.deepEqual(yamlProblems([...head, "servers:", "  web:", "    hosts: [a]", "    options:", "      restart: no"]),
            [`config/deploy.yml:7: servers.web.options.restart: ${fix} (got false)`]);
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

    it("a bad role name keeps its role: the rules across roles still see it", () => {
        const p = problems(minimal({ primaryRole: "Web", roles: { Web: { hosts: ["a"] }, jobs: { hosts: ["b"], hooks: { postAppBoot: { command: "x", when: "paused" } } } } }));
        assert.equal(p.length, 2, p.join("\n"));
        assert.match(p[0], /^roles\.Web: role name must be lowercase/);
        assert.match(p[1], /^roles\.jobs\.hooks\.postAppBoot\.when: "paused" holds kamal-proxy traffic, but role "jobs" is not behind kamal-proxy/);
    });

    it("cross-field rules are reported with the other problems, not after they are fixed", () => {
        const p = problems(minimal({ deployTimeout: -1, proxy: { ssl: true }, roles: { web: { hosts: ["a"], bootAfter: ["nope"] } } }));
        assert.deepEqual(p.map((l) => l.split(":")[0]).sort(), ["deployTimeout", "proxy.ssl", "roles.web.bootAfter[0]"]);
    });
});
