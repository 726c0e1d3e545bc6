/**
 * Issue: deploy a Kamal-style app with `pulumi up` on real infrastructure.
 * Real engine, real SSH hosts running Docker, real kamal-proxy, real registry.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { KamalApp } from "../../index";
import { get, onHost, requestLoop, testbed, testStack, TestStack, waitFor, watchProcesses } from "./harness";

const SECRET = `s3cr3t-${Date.now()}`;

describe("deploying web + worker to two SSH hosts", function () {
    const tb = testbed();
    const [h1, h2] = tb.hosts;
    let version = "v1";
    let s: TestStack;

    const program = async () => {
        const app = new KamalApp("shop", {
            service: "shop",
            image: `${tb.appImage}:${version}`,
            roles: {
                web: { hosts: [h1, h2] },
                worker: { hosts: [h1, h2], cmd: "/app/bin/worker" },
            },
            ssh: { user: tb.user, privateKey: pulumi.secret(fs.readFileSync(tb.keyPath, "utf8")), knownHosts: tb.knownHosts },
            registry: tb.registryUser ? { server: tb.registry, username: tb.registryUser, password: pulumi.secret(tb.registryPassword!) } : undefined,
            env: { clear: { GREETING: "hello" }, secret: { API_TOKEN: pulumi.secret(SECRET) } },
            readinessDelay: 1,
            deployTimeout: 20,
            drainTimeout: 2,
            retainContainers: 2,
        });
        return { web: app.roles.web.containers.map((c) => c.containerName) };
    };

    before(async function () {
        s = await testStack("deploy", program);
    });

    after(async function () {
        if (process.env.E2E_KEEP) return;
        await s?.destroy().catch(() => undefined);
    });

    it("boots v1: containers named, labelled and configured as Kamal does, traffic through kamal-proxy", async function () {
        // Watch every process's arguments on a host while the deploy runs: the secret must never show.
        const ps = watchProcesses(tb, h1);
        await s.up();
        const seen = await ps.stop();
        assert.ok(seen.includes("docker"), "the process watch saw nothing");
        assert.ok(!seen.includes(SECRET), "the secret appeared in a process's arguments on the host");
        for (const host of [h1, h2]) {
            const ps = onHost(tb, host, `docker ps --filter label=service=shop --format '{{.Names}} {{.Label "role"}} {{.Label "destination"}}'`);
            assert.deepEqual(ps.trim().split("\n").map((l) => l.trim()).sort(), ["shop-web-v1 web", "shop-worker-v1 worker"]);
            assert.equal(onHost(tb, host, "docker inspect --format '{{.HostConfig.RestartPolicy.Name}} {{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}' shop-web-v1").trim(), "unless-stopped kamal");
            const env = onHost(tb, host, "docker inspect --format '{{json .Config.Env}}' shop-worker-v1");
            for (const v of ["KAMAL_CONTAINER_NAME=shop-worker-v1", "KAMAL_VERSION=v1", `KAMAL_HOST=${host}`, "GREETING=hello", `API_TOKEN=${SECRET}`]) {
                assert.ok(env.includes(v), `${host} worker env lacks ${v}: ${env}`);
            }
            // The secret reached the container through a 0600 env file, never a command line.
            assert.equal(onHost(tb, host, "stat -c %a .kamal/apps/shop/env/roles/web.env").trim(), "600");
            assert.equal((await get(`http://${host}/version`)).body.trim(), "v1");
            assert.equal((await get(`http://${host}/env/API_TOKEN`)).body.trim(), SECRET);
            assert.ok(onHost(tb, host, "cat /tmp/worker-alive 2>/dev/null || docker exec shop-worker-v1 cat /tmp/worker-alive").length > 0);
        }
        const state = await s.exportState();
        assert.ok(!state.includes(SECRET), "the secret is in the stack state as plaintext");
        assert.ok(!state.includes("PRIVATE KEY"), "the SSH key is in the stack state as plaintext");
    });

    it("previews v1 -> v3 as a replacement, then deploys it with zero failed requests", async function () {
        version = "v3";
        const preview = await s.preview();
        assert.ok((preview.changeSummary.replace ?? 0) >= 4, `expected 4 container replacements: ${JSON.stringify(preview.changeSummary)}`);
        assert.match(preview.stdout, /shop-web-.*RoleContainer|RoleContainer.*shop-web/s);

        const load = requestLoop([h1, h2].map((h) => `http://${h}/version`));
        const started = Date.now();
        await s.up();
        const report = await load.stop();
        console.log(`      v1 -> v3 deploy: ${((Date.now() - started) / 1000).toFixed(1)} s, ${report.total} requests, versions ${JSON.stringify(report.versions)}`);
        assert.equal(report.failed, 0, report.failures.slice(0, 5).join("\n"));
        assert.ok(report.versions.v3 > 0, "no request reached v3");
        for (const host of [h1, h2]) {
            assert.equal((await get(`http://${host}/version`)).body.trim(), "v3");
            const states = onHost(tb, host, "docker ps --all --filter label=service=shop --format '{{.Names}} {{.State}}'");
            assert.match(states, /shop-web-v1 exited/);
            assert.match(states, /shop-worker-v1 exited/);
            assert.match(states, /shop-web-v3 running/);
            assert.match(states, /shop-worker-v3 running/);
        }
    });

    it("makes no changes on a second up with the same config", async function () {
        const r = await s.up();
        const changed = Object.entries(r.summary.resourceChanges ?? {}).filter(([op]) => op !== "same");
        assert.deepEqual(changed, []);
    });

    it("fails a version that never becomes healthy, keeps serving the old one, and does not boot the worker", async function () {
        version = "broken";
        const load = requestLoop([h1, h2].map((h) => `http://${h}/version`));
        await assert.rejects(s.up(), (e: Error) => {
            assert.match(e.message, /did not become healthy/);
            return true;
        });
        const report = await load.stop();
        assert.equal(report.failed, 0, report.failures.slice(0, 5).join("\n"));
        assert.deepEqual(Object.keys(report.versions), ["v3"]);
        for (const host of [h1, h2]) {
            const names = onHost(tb, host, "docker ps --filter label=service=shop --format '{{.Names}}'");
            assert.ok(!names.includes("shop-worker-broken"), `worker booted on the broken version on ${host}`);
            assert.match(names, /shop-web-v3/);
        }
        // Recovering: back to a good version converges.
        version = "v3";
        await s.up();
    });

    it("destroy removes the app's containers, routes and env files", async function () {
        await s.destroy();
        for (const host of [h1, h2]) {
            assert.equal(onHost(tb, host, "docker ps --all --filter label=service=shop --format '{{.Names}}'").trim(), "");
            assert.equal(onHost(tb, host, "test -e .kamal/apps/shop/env/roles/web.env && echo present || echo absent").trim(), "absent");
            await waitFor("proxy route gone", async () => ((await get(`http://${host}/version`).catch(() => ({ status: 0 }))).status !== 200 ? true : undefined), 10_000);
        }
    });
});

describe("SSH host keys", function () {
    const tb = testbed();

    it("refuses a host whose key does not match the pin, before changing anything on it", async function () {
        const s = await testStack("hostkey", async () => {
            new KamalApp("pinned", {
                service: "pinned",
                image: `${tb.appImage}:v1`,
                roles: { web: { hosts: [tb.hosts[0]] } },
                ssh: { user: tb.user, privateKey: pulumi.secret(fs.readFileSync(tb.keyPath, "utf8")), hostKeys: { [tb.hosts[0]]: "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" } },
            });
        });
        try {
            await assert.rejects(s.up(), /host key SHA256:\S+ does not match the pinned ssh\.hostKeys/);
            assert.equal(onHost(tb, tb.hosts[0], "docker ps --all --filter label=service=pinned --format '{{.Names}}'").trim(), "");
        } finally {
            await s.destroy().catch(() => undefined);
        }
    });
});
