/**
 * Component wiring under Pulumi's mocks: which resources a KamalApp registers,
 * their inputs, and their dependencies.
 */
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { KamalApp } from "../../components/KamalApp";
import { KamalProxy } from "../../components/KamalProxy";
import { KamalConfigError } from "../../config/validate";
import { base, deploy, depsOf, isSecret, named, names, registered, reveal, settled, useMockEngine } from "./mock-engine";

describe("KamalApp wiring", function () {
    useMockEngine();

    this.timeout(20_000); // serializing the provider stubs takes a moment the first time

    it("registers its components and the named dynamic resource types", async () => {
        await deploy("demo", base({ web: { hosts: ["h1"], hooks: { postAppBoot: "bin/migrate" } } }));
        assert.deepEqual(registered.map((r) => `${r.type} ${r.name}`).sort(), [
            "pulumi-kamal:index:KamalApp demo",
            "pulumi-kamal:index:KamalProxy demo-proxy-h1",
            "pulumi-kamal:index:KamalRole demo-web",
            "pulumi-nodejs:dynamic/kamal:ProxyContainer demo-proxy-h1",
            "pulumi-nodejs:dynamic/kamal:RoleContainer demo-web-h1",
            "pulumi-nodejs:dynamic/kamal:RoleHook demo-web-post-app-boot",
            "pulumi-nodejs:dynamic/kamal:TrafficSwitch demo-web-h1",
        ]);
    });

    it("one kamal-proxy per distinct proxied host, shared by the roles on it", async () => {
        const app = await deploy("demo", base({
            web: { hosts: ["h1", "h2"] },
            api: { hosts: ["h2", "h3"], proxy: true },
            jobs: { hosts: ["h1", "h4"] },
        }, { proxyImage: "basecamp/kamal-proxy:v0.9.3", proxyPorts: { http: 8080, https: 8443 } }));
        assert.deepEqual(Object.keys(app.proxies).sort(), ["h1", "h2", "h3"]);
        assert.deepEqual(names("ProxyContainer"), ["demo-proxy-h1", "demo-proxy-h2", "demo-proxy-h3"]);
        const { lock, ...proxyInputs } = named("ProxyContainer", "demo-proxy-h3").inputs;
        // Every change waits for the app's deploy lock on the primary host (web's first host), a secret (it carries the SSH settings).
        assert.deepEqual(lock.value, { connection: { host: "h1", user: "root", port: 22, verifyHostKey: true }, service: "shop", stack: "project/stack", version: "v7" });
        assert.equal(Object.keys(lock).length, 2, "the lock is a secret");
        for (const type of ["RoleContainer", "TrafficSwitch"]) {
            for (const r of names(type)) assert.deepEqual(named(type, r).inputs.lock, lock, `${type} ${r} carries the app's lock`);
        }
        assert.deepEqual(proxyInputs, {
            __provider: named("ProxyContainer", "demo-proxy-h3").inputs.__provider,
            connection: { host: "h3", user: "root", port: 22, verifyHostKey: true },
            image: "basecamp/kamal-proxy:v0.9.3",
            httpPort: 8080,
            httpsPort: 8443,
        });
        // containers boot after their host's proxy; unproxied roles wait for no proxy
        assert.ok(depsOf("RoleContainer", "demo-web-h2").includes("ProxyContainer::demo-proxy-h2"));
        assert.ok(depsOf("RoleContainer", "demo-api-h2").includes("ProxyContainer::demo-proxy-h2"));
        assert.ok(depsOf("RoleContainer", "demo-api-h3").includes("ProxyContainer::demo-proxy-h3"));
        assert.ok(!depsOf("RoleContainer", "demo-jobs-h1").some((d) => d.startsWith("ProxyContainer::")));
    });

    it("a container and a traffic switch per role and host, with resolved inputs", async () => {
        await deploy("demo", base({
            web: { hosts: ["h1", "h2"], labels: { tier: "web" } },
            jobs: { hosts: [{ host: "h3", tags: ["big"] }], cmd: "bin/jobs --queue 'low priority'", proxy: false, stopTimeout: 45 },
        }, {
            ssh: { user: "deploy", port: 2222 },
            env: { clear: { RAILS_ENV: "production" }, tags: { big: { clear: { THREADS: "16" } } } },
            volumes: ["/data:/data"],
            logging: { driver: "journald" },
            retainContainers: 3,
        }));
        assert.deepEqual(names("RoleContainer"), ["demo-jobs-h3", "demo-web-h1", "demo-web-h2"]);
        assert.deepEqual(names("TrafficSwitch"), ["demo-jobs-h3", "demo-web-h1", "demo-web-h2"]);
        assert.deepEqual(names("RoleHook"), []);

        const jobs = named("RoleContainer", "demo-jobs-h3").inputs;
        assert.equal(jobs.service, "shop");
        assert.equal(jobs.role, "jobs");
        assert.equal(jobs.version, "v7");
        assert.equal(jobs.image, "registry.example.com/shop:v7");
        assert.deepEqual(jobs.cmd, ["bin/jobs", "--queue", "low priority"]);
        assert.deepEqual(jobs.env, { RAILS_ENV: "production", THREADS: "16" });
        assert.deepEqual(jobs.connection, { host: "h3", user: "deploy", port: 2222, verifyHostKey: true });
        assert.deepEqual(jobs.volumes, ["/data:/data"]);
        assert.deepEqual(jobs.logging, { driver: "journald" });
        assert.deepEqual(jobs.health, { kind: "docker", readinessDelay: 7, deployTimeout: 30 });

        const web = named("RoleContainer", "demo-web-h1").inputs;
        assert.deepEqual(web.env, { RAILS_ENV: "production" });
        assert.deepEqual(web.labels, { tier: "web" });
        assert.equal(web.health.kind, "proxy");
        assert.equal(web.health.target.service, "shop-web");

        const jobsSwitch = named("TrafficSwitch", "demo-jobs-h3").inputs;
        assert.equal(jobsSwitch.proxy, undefined);
        assert.equal(jobsSwitch.stopTimeout, 45);
        assert.equal(jobsSwitch.retainContainers, 3);
        assert.equal(named("TrafficSwitch", "demo-web-h1").inputs.proxy.service, "shop-web");
        // each switch follows its own container
        assert.deepEqual(depsOf("TrafficSwitch", "demo-web-h2"), ["RoleContainer::demo-web-h2"]);
    });

    it("Kamal interop inputs: REPO:VERSION for the switch, stop timeouts, certificate (secret) and error pages", async () => {
        const fs = await import("node:fs");
        const os = await import("node:os");
        const path = await import("node:path");
        const pages = fs.mkdtempSync(path.join(os.tmpdir(), "pk-pages-"));
        fs.writeFileSync(path.join(pages, "503.html"), "down");
        await deploy("demo", base({ web: { hosts: ["h1"] }, jobs: { hosts: ["h2"] } }, {
            version: "rel-9", drainTimeout: 12, errorPagesPath: pages,
            proxy: { host: "shop.example", ssl: { certificatePem: "CERT", privateKeyPem: pulumi.secret("KEY") } },
        }));
        fs.rmSync(pages, { recursive: true });
        const web = named("TrafficSwitch", "demo-web-h1").inputs;
        assert.equal(web.image, "registry.example.com/shop:rel-9");
        assert.equal(web.stopTimeout, undefined); // proxied: kamal-proxy drained it, Docker's default
        assert.equal(named("TrafficSwitch", "demo-jobs-h2").inputs.stopTimeout, 12); // Kamal: drain_timeout
        assert.ok(isSecret(web.tlsCertificate), "the certificate and key must be a Pulumi secret");
        assert.deepEqual(reveal(web.tlsCertificate), { certificatePem: "CERT", privateKeyPem: "KEY" });
        assert.ok(isSecret(named("RoleContainer", "demo-web-h1").inputs.tlsCertificate));
        assert.deepEqual(web.errorPages, { version: "rel-9", files: { "503.html": "down" } });
        assert.equal(web.proxy.tlsCertificatePath, "/home/kamal-proxy/.apps-config/shop/tls/web/cert.pem");
        assert.equal(named("TrafficSwitch", "demo-jobs-h2").inputs.errorPages, undefined);
    });

    it("an explicit version wins over the image tag; a destination joins the proxy service name", async () => {
        await deploy("demo", base({ web: { hosts: ["h1"] } }, { version: "2024.1", destination: "staging" }));
        const c = named("RoleContainer", "demo-web-h1").inputs;
        assert.equal(c.version, "2024.1");
        assert.equal(c.destination, "staging");
        assert.equal(named("TrafficSwitch", "demo-web-h1").inputs.proxy.service, "shop-web-staging");
    });

    describe("post-app-boot hooks", () => {
        const withHook = (postAppBoot: object) => base({ web: { hosts: ["h1", "h2", "h3"], hooks: { postAppBoot: postAppBoot as never } } });

        it("before-traffic, primary: one hook after the first container; every switch waits for it", async () => {
            await deploy("demo", withHook({ command: "bin/migrate" }));
            assert.deepEqual(names("RoleHook"), ["demo-web-post-app-boot"]);
            const hook = named("RoleHook", "demo-web-post-app-boot").inputs;
            assert.equal(hook.command, "bin/migrate");
            assert.equal(hook.when, "before-traffic");
            assert.equal(hook.runOn, "primary");
            assert.equal(hook.timeout, 300);
            assert.equal(hook.stage, "post-app-boot", "the stage names the hook in its id and messages");
            assert.deepEqual(reveal(hook.targets).map((t: any) => t.connection.host), ["h1"]);
            assert.deepEqual(hook.runsOn, ["h1"], "preview shows where it runs, in the clear");
            assert.deepEqual(depsOf("RoleHook", "demo-web-post-app-boot"), ["RoleContainer::demo-web-h1"]);
            for (const h of ["h1", "h2", "h3"]) {
                assert.deepEqual(depsOf("TrafficSwitch", `demo-web-${h}`), [`RoleContainer::demo-web-${h}`, `RoleHook::demo-web-post-app-boot`]);
            }
        });

        it("before-traffic, all: one hook per host, each between its container and its switch", async () => {
            await deploy("demo", withHook({ command: ["bin/warm", "--cache"], runOn: "all" }));
            assert.deepEqual(names("RoleHook"), ["demo-web-post-app-boot-h1", "demo-web-post-app-boot-h2", "demo-web-post-app-boot-h3"]);
            for (const h of ["h1", "h2", "h3"]) {
                const hook = named("RoleHook", `demo-web-post-app-boot-${h}`);
                assert.deepEqual(reveal(hook.inputs.targets).map((t: any) => t.connection.host), [h]);
                assert.deepEqual(hook.inputs.runsOn, [h]);
                assert.deepEqual(hook.inputs.command, ["bin/warm", "--cache"]);
                assert.deepEqual([...hook.deps].sort(), [`RoleContainer::demo-web-${h}`]);
                assert.deepEqual(depsOf("TrafficSwitch", `demo-web-${h}`), [`RoleContainer::demo-web-${h}`, `RoleHook::demo-web-post-app-boot-${h}`]);
            }
        });

        it("paused: one hook over every host, after all containers; all switches wait for it", async () => {
            await deploy("demo", withHook({ command: "bin/migrate", when: "paused", timeout: 60 }));
            assert.deepEqual(names("RoleHook"), ["demo-web-post-app-boot"]);
            const hook = named("RoleHook", "demo-web-post-app-boot");
            assert.deepEqual(reveal(hook.inputs.targets).map((t: any) => t.connection.host), ["h1", "h2", "h3"]);
            assert.deepEqual(hook.inputs.runsOn, ["h1"], "paused + primary: every host pauses, the hook runs on the first");
            assert.equal(hook.inputs.timeout, 60);
            assert.equal(hook.inputs.proxy.service, "shop-web");
            assert.deepEqual([...hook.deps].sort(), ["RoleContainer::demo-web-h1", "RoleContainer::demo-web-h2", "RoleContainer::demo-web-h3"]);
            for (const h of ["h1", "h2", "h3"]) assert.ok(depsOf("TrafficSwitch", `demo-web-${h}`).includes("RoleHook::demo-web-post-app-boot"));
        });

        it("after-traffic, primary: the first host switches, the hook runs there, then the others switch", async () => {
            await deploy("demo", withHook({ command: "bin/notify", when: "after-traffic" }));
            assert.deepEqual(names("RoleHook"), ["demo-web-post-app-boot"]);
            // (its targets read the container's outputs, hence that dependency too)
            assert.deepEqual(depsOf("RoleHook", "demo-web-post-app-boot"), ["RoleContainer::demo-web-h1", "TrafficSwitch::demo-web-h1"]);
            assert.deepEqual(depsOf("TrafficSwitch", "demo-web-h1"), ["RoleContainer::demo-web-h1"]);
            assert.deepEqual(depsOf("TrafficSwitch", "demo-web-h2"), ["RoleContainer::demo-web-h2", "RoleHook::demo-web-post-app-boot"]);
        });

        it("after-traffic, all: one hook per host after its switch", async () => {
            await deploy("demo", withHook({ command: "bin/notify", when: "after-traffic", runOn: "all" }));
            assert.deepEqual(names("RoleHook"), ["demo-web-post-app-boot-h1", "demo-web-post-app-boot-h2", "demo-web-post-app-boot-h3"]);
            for (const h of ["h1", "h2", "h3"]) {
                assert.deepEqual(depsOf("RoleHook", `demo-web-post-app-boot-${h}`), [`RoleContainer::demo-web-${h}`, `TrafficSwitch::demo-web-${h}`]);
                assert.deepEqual(depsOf("TrafficSwitch", `demo-web-${h}`), [`RoleContainer::demo-web-${h}`]);
            }
        });
    });

    describe("service-wide paused hook (holds)", () => {
        const threeRoles = (holds?: string[]) => base({
            web: { hosts: ["h1", "h2"], hooks: { postAppBoot: { command: "bin/migrate", when: "paused", ...(holds ? { holds } : {}) } } },
            api: { hosts: ["h1", "h2"], proxy: { host: "api.example" } },
            worker: { hosts: ["h3"] },
        });

        it("by default holds every proxied role: the hook waits for api's containers, api switches after the hook", async () => {
            await deploy("demo", threeRoles());
            const hook = named("RoleHook", "demo-web-post-app-boot");
            assert.deepEqual(hook.inputs.holds, ["api"]);
            const held = reveal(hook.inputs.held);
            assert.deepEqual(held.map((r: any) => [r.role, r.proxy?.service, r.targets.map((t: any) => t.connection.host)]), [["api", "shop-api", ["h1", "h2"]]]);
            assert.deepEqual([...hook.deps].sort(), ["RoleContainer::demo-api-h1", "RoleContainer::demo-api-h2", "RoleContainer::demo-web-h1", "RoleContainer::demo-web-h2"]);
            for (const h of ["h1", "h2"]) {
                assert.ok(depsOf("TrafficSwitch", `demo-api-${h}`).includes("RoleHook::demo-web-post-app-boot"), `api@${h} switches after the hook`);
                // api boots beside web, not after web's hook (that would wait for itself).
                assert.deepEqual(depsOf("RoleContainer", `demo-api-${h}`), [`ProxyContainer::demo-proxy-${h}`]);
            }
            // The worker is not held: it boots after web's hook, as before.
            assert.deepEqual(depsOf("RoleContainer", "demo-worker-h3"), ["RoleHook::demo-web-post-app-boot"]);
        });

        it("a named worker is held too: stopped before the hook, its switch after it", async () => {
            await deploy("demo", threeRoles(["web", "api", "worker"]));
            const hook = named("RoleHook", "demo-web-post-app-boot");
            assert.deepEqual(hook.inputs.holds, ["api", "worker"]);
            const worker = reveal(hook.inputs.held).find((r: any) => r.role === "worker");
            assert.equal(worker.proxy, undefined);
            assert.equal(worker.stopTimeout, 30);
            assert.equal(worker.health.kind, "docker");
            assert.ok(hook.deps.includes("RoleContainer::demo-worker-h3"));
            assert.deepEqual(depsOf("RoleContainer", "demo-worker-h3"), []);
            assert.ok(depsOf("TrafficSwitch", "demo-worker-h3").includes("RoleHook::demo-web-post-app-boot"));
            // Its new container is only created; the hook (or, if the hook does not run again, its switch) starts it.
            assert.equal(named("RoleContainer", "demo-worker-h3").inputs.startAfterHook, true);
            assert.equal(named("TrafficSwitch", "demo-worker-h3").inputs.health.kind, "docker");
            // A held proxied role boots as usual: kamal-proxy holds its requests, so it can be health-checked first.
            for (const r of ["api", "web"]) {
                assert.equal(named("RoleContainer", `demo-${r}-h1`).inputs.startAfterHook, undefined, r);
                assert.equal(named("TrafficSwitch", `demo-${r}-h1`).inputs.health, undefined, r);
            }
        });
    });

    describe("rolling boot (boot.limit, boot.wait)", () => {
        it("boots hosts in groups: each group after the previous one serves, later groups after boot.wait", async () => {
            await deploy("demo", base({ web: { hosts: ["h1", "h2", "h3"] } }, { boot: { limit: 2, wait: 4 } }));
            assert.deepEqual(depsOf("RoleContainer", "demo-web-h1"), ["ProxyContainer::demo-proxy-h1"]);
            assert.deepEqual(depsOf("RoleContainer", "demo-web-h2"), ["ProxyContainer::demo-proxy-h2"]);
            assert.deepEqual(depsOf("RoleContainer", "demo-web-h3"), ["ProxyContainer::demo-proxy-h3", "TrafficSwitch::demo-web-h1", "TrafficSwitch::demo-web-h2"]);
            assert.deepEqual(["h1", "h2", "h3"].map((h) => named("RoleContainer", `demo-web-${h}`).inputs.bootDelay), [0, 0, 4]);
        });

        it("a percentage limit rounds up; the primary hook gates every group", async () => {
            await deploy("demo", base({ web: { hosts: ["h1", "h2", "h3", "h4"], hooks: { postAppBoot: "bin/migrate" } } }, { boot: { limit: "25%" } }));
            assert.deepEqual(names("RoleHook"), ["demo-web-post-app-boot"]);
            assert.deepEqual(depsOf("RoleContainer", "demo-web-h2"), ["ProxyContainer::demo-proxy-h2", "TrafficSwitch::demo-web-h1"]);
            assert.deepEqual(depsOf("TrafficSwitch", "demo-web-h4"), ["RoleContainer::demo-web-h4", "RoleHook::demo-web-post-app-boot"]);
        });

        it("a paused hook boots and switches every host together, whatever the limit", async () => {
            await deploy("demo", base({ web: { hosts: ["h1", "h2"], hooks: { postAppBoot: { command: "bin/migrate", when: "paused" } } } }, { boot: { limit: 1 } }));
            assert.deepEqual(depsOf("RoleContainer", "demo-web-h2"), ["ProxyContainer::demo-proxy-h2"]);
        });
    });

    describe("boot order between roles", () => {
        it("non-primary roles wait for the primary's hook, or its first container without one", async () => {
            await deploy("demo", base({
                web: { hosts: ["h1", "h2"], hooks: { postAppBoot: "bin/migrate" } },
                jobs: { hosts: ["h3"] },
                cron: { hosts: ["h4"], bootAfter: ["jobs"] },
                solo: { hosts: ["h5"], bootAfter: [] },
            }));
            assert.deepEqual(depsOf("RoleContainer", "demo-jobs-h3"), ["RoleHook::demo-web-post-app-boot"]);
            assert.deepEqual(depsOf("RoleContainer", "demo-cron-h4"), ["RoleContainer::demo-jobs-h3"]);
            assert.deepEqual(depsOf("RoleContainer", "demo-solo-h5"), []);
        });

        it("a role booting after several waits for all of their gates", async () => {
            await deploy("demo", base({
                web: { hosts: ["h1"] },
                jobs: { hosts: ["h2"], hooks: { postAppBoot: { command: "x", runOn: "all" } } },
                cron: { hosts: ["h3"], bootAfter: ["web", "jobs"] },
            }));
            assert.deepEqual(depsOf("RoleContainer", "demo-cron-h3"), ["RoleContainer::demo-web-h1", "RoleHook::demo-jobs-post-app-boot-h2"]);
        });
    });

    it("hosts known only at deploy time are keyed by position", async () => {
        const app = await deploy("demo", base({ web: { hosts: [pulumi.output("10.0.0.5"), "h2"] } }));
        assert.deepEqual(names("RoleContainer"), ["demo-web-h2", "demo-web-host0"]);
        assert.deepEqual(Object.keys(app.proxies).sort(), ["h2", "web-host0"]);
        assert.deepEqual(names("ProxyContainer"), ["demo-proxy-h2", "demo-proxy-web-host0"]);
        assert.equal(named("RoleContainer", "demo-web-host0").inputs.connection.host, "10.0.0.5");
        assert.ok(depsOf("RoleContainer", "demo-web-host0").includes("ProxyContainer::demo-proxy-web-host0"));
    });

    it("secrets stay secret: secret env, registry, hook targets, and connections carrying a key", async () => {
        await deploy("demo", base({ web: { hosts: ["h1"], hooks: { postAppBoot: "bin/migrate" } } }, {
            env: { clear: { A: "1" }, secret: { DB_PASSWORD: "hunter2" } },
            registry: { server: "ghcr.io", username: "bot", password: pulumi.secret("reg-pa55") },
            ssh: { privateKey: pulumi.secret("-----BEGIN OPENSSH PRIVATE KEY-----") },
        }));
        const c = named("RoleContainer", "demo-web-h1").inputs;
        assert.ok(isSecret(c.secretEnv));
        assert.deepEqual(reveal(c.secretEnv), { DB_PASSWORD: "hunter2" });
        assert.ok(!isSecret(c.env));
        assert.ok(isSecret(c.registry));
        assert.ok(isSecret(c.connection));
        assert.equal(reveal(c.connection).privateKey, "-----BEGIN OPENSSH PRIVATE KEY-----");
        assert.ok(isSecret(named("RoleHook", "demo-web-post-app-boot").inputs.targets));
        assert.ok(isSecret(named("ProxyContainer", "demo-proxy-h1").inputs.connection));
        // The hook masks what its container could print: the secret env values, themselves a secret.
        const redact = named("RoleHook", "demo-web-post-app-boot").inputs.redact;
        assert.ok(isSecret(redact));
        assert.deepEqual(reveal(redact), ["hunter2"]);
    });

    it("without a private key the connection is not secret", async () => {
        await deploy("demo", base({ web: { hosts: ["h1"] } }, { ssh: { keyPath: "~/.ssh/deploy" } }));
        const conn = named("RoleContainer", "demo-web-h1").inputs.connection;
        assert.ok(!isSecret(conn));
        assert.equal(conn.keyPath, "~/.ssh/deploy");
    });

    it("an invalid config throws KamalConfigError at construction", () => {
        assert.throws(() => new KamalApp("bad", base({ web: { hosts: ["root@h1"] } }, { retainContainers: 0 })), (e: Error) => {
            assert.ok(e instanceof KamalConfigError);
            assert.match(e.message, /^Invalid KamalApp "bad" configuration:\n {2}- roles\.web\.hosts\[0\]: .*\n {2}- retainContainers: /);
            return true;
        });
    });

});

describe("KamalProxy component", () => {
    useMockEngine();

    it("defaults to kamal-proxy v0.9.2 on ports 80 and 443", async () => {
        const p = new KamalProxy("edge", { connection: { host: "h1", user: "root", port: 22, verifyHostKey: true } });
        await settled(p.instance.urn);
        const instance = registered.find((r) => r.type === "pulumi-nodejs:dynamic/kamal:ProxyContainer" && r.name === "edge")!;
        assert.equal(instance.inputs.image, "basecamp/kamal-proxy:v0.9.2");
        assert.equal(instance.inputs.httpPort, 80);
        assert.equal(instance.inputs.httpsPort, 443);
        assert.ok(registered.some((r) => r.type === "pulumi-kamal:index:KamalProxy" && r.name === "edge"));
    });
});
