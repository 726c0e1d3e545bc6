/**
 * Issue 10: a host deployed by pulumi-kamal stays drivable by Kamal, and a
 * host laid out by Kamal is taken over by `up` without downtime. Kamal itself
 * cannot be installed here, so the exact commands its command classes build
 * (test/e2e/kamal-commands.ts) run over SSH on the test hosts.
 */
import * as assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { KamalApp } from "../../index";
import { get, onHost, requestLoop, testbed, testStack, TestStack, Testbed, waitFor } from "./harness";
import { KamalCommands } from "./kamal-commands";

const SECRET = `k-s3cr3t-${Date.now()}`;
const hex = (n: number) => randomBytes(n).toString("hex");

/** ssh with stdin: Kamal's `app exec -i` is interactive. */
function onHostWithInput(tb: Testbed, host: string, command: string, input: string): string {
    const r = spawnSync("ssh", ["-i", tb.keyPath, "-o", `UserKnownHostsFile=${tb.knownHosts}`, "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", `${tb.user}@${host}`, command], { input, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`ssh ${host} ${command}: exit ${r.status}: ${r.stderr}`);
    return r.stdout;
}

/** Kamal's `app boot` of VERSION for one role on one host, step by step as Cli::App::Boot runs it. */
async function kamalBoot(tb: Testbed, k: KamalCommands, host: string, role: string, version: string, proxied: boolean): Promise<void> {
    if (onHost(tb, host, k.containerIdForVersion(role, version)).trim()) onHost(tb, host, k.renameContainer(role, version, hex(8)));
    const old = onHost(tb, host, k.currentRunningVersion(role)).trim();
    onHost(tb, host, k.ensureEnvDirectory());
    onHost(tb, host, k.run(role, version, host, `${host}-${hex(6)}`));
    if (proxied) {
        const id = onHost(tb, host, k.containerIdForVersion(role, version)).trim();
        onHost(tb, host, k.proxyDeploy(role, id));
    } else {
        // Kamal's poller: running (no healthcheck) for readiness_delay.
        await new Promise((r) => setTimeout(r, 1000));
        assert.equal(onHost(tb, host, k.status(role, version)).trim(), "running");
    }
    if (old) onHost(tb, host, k.stop(role, old, proxied));
}

describe("Kamal's commands against a pulumi-kamal host", function () {
    const tb = testbed();
    const [h1, h2] = tb.hosts;
    const k = new KamalCommands({ service: "kcompat", repository: tb.appImage, clearEnv: { GREETING: "hello" }, deployTimeout: 20, drainTimeout: 2, appPort: 80 });
    let version = "v1";
    let s: TestStack;

    const program = async () => {
        const app = new KamalApp("kcompat", {
            service: "kcompat",
            image: `${tb.appImage}:${version}`,
            roles: { web: { hosts: [h1, h2] }, worker: { hosts: [h1], cmd: "/app/bin/worker" } },
            ssh: { user: tb.user, privateKey: pulumi.secret(fs.readFileSync(tb.keyPath, "utf8")), knownHosts: tb.knownHosts },
            registry: tb.registryUser ? { server: tb.registry, username: tb.registryUser, password: pulumi.secret(tb.registryPassword!) } : undefined,
            env: { clear: { GREETING: "hello" }, secret: { API_TOKEN: pulumi.secret(SECRET) } },
            readinessDelay: 1, deployTimeout: 20, drainTimeout: 2,
        });
        return { web: app.roles.web.containers.map((c) => c.containerId) };
    };
    const versionOn = async (host: string) => (await get(`http://${host}/version`)).body.trim();
    const refreshOutput = async () => (await s.stack.refresh({ color: "never", onOutput: (o) => s.output.push(o) })).stdout;

    before(async function () {
        s = await testStack("kcompat", program);
        await s.up();
        version = "v3";
        await s.up();
    });

    after(async function () {
        if (process.env.E2E_KEEP) return;
        await s?.destroy().catch(() => undefined);
    });

    it("leaves Kamal's layout: REPO:VERSION labelled, REPO:latest on it, --hostname, apps-config mounted", function () {
        for (const host of [h1, h2]) {
            const [v3, latest] = [`${tb.appImage}:v3`, `${tb.appImage}:latest`].map((ref) => onHost(tb, host, `docker image inspect --format '{{.Id}} {{.Config.Labels.service}}' ${ref}`).trim());
            assert.equal(latest, v3);
            assert.match(v3, / kcompat$/);
            assert.match(onHost(tb, host, "docker inspect --format '{{.Config.Hostname}}' kcompat-web-v3").trim(), new RegExp(`^${host.replace(/\./g, "\\.")}-[0-9a-f]{12}$`));
            assert.match(onHost(tb, host, "docker inspect --format '{{range .Mounts}}{{.Source}}:{{.Destination}} {{end}}' kamal-proxy"), /\/\.kamal\/proxy\/apps-config:\/home\/kamal-proxy\/\.apps-config/);
        }
    });

    it("app version, app stale_containers, app logs, app exec (new container, -i, --reuse) see our current version", function () {
        for (const [host, roles] of [[h1, ["web", "worker"]], [h2, ["web"]]] as const) {
            for (const role of roles) {
                assert.equal(onHost(tb, host, k.currentRunningVersion(role)).trim(), "v3", `app version ${role}@${host}`);
                // stale_containers: running versions other than the current one; ours leave none to stop.
                assert.equal(onHost(tb, host, k.listVersions(role)).trim(), "v3", `stale containers of ${role}@${host}`);
            }
            assert.match(onHost(tb, host, k.logs("web")), /testapp v3 listening on :80/);
            assert.equal(onHost(tb, host, k.execInNewContainer("web", "cat /app/VERSION", { hex: hex(3) })).trim(), "v3");
            assert.equal(onHost(tb, host, k.execInNewContainer("web", "sh -c 'echo $API_TOKEN $GREETING'", { hex: hex(3) })).trim(), `${SECRET} hello`);
            assert.equal(onHostWithInput(tb, host, k.execInNewContainer("web", "sh -c 'read x; echo got $x from $(cat /app/VERSION)'", { interactive: true, hex: hex(3) }), "piped\n").trim(), "got piped from v3");
            assert.equal(onHost(tb, host, k.execInExistingContainer("web", "v3", "cat /app/VERSION")).trim(), "v3");
        }
    });

    it("app boot runs the version we deployed (REPO:latest), with no failed request; refresh reports it and up switches back", async function () {
        const load = requestLoop([h1, h2].map((h) => `http://${h}/version`));
        for (const host of [h1, h2]) await kamalBoot(tb, k, host, "web", k.latestTag, true);
        await kamalBoot(tb, k, h1, "worker", k.latestTag, false);
        for (const host of [h1, h2]) onHost(tb, host, k.tagLatest(k.latestTag));
        for (const host of [h1, h2]) assert.equal(onHost(tb, host, k.currentRunningVersion("web")).trim(), "latest");
        const refreshed = await refreshOutput();
        assert.match(refreshed, /kamal-proxy routes kcompat-web to \w+:80, not kcompat-web-v3/);
        assert.match(refreshed, /container kcompat-web-v3 is exited/);
        assert.match(refreshed, /other containers of the role run: kcompat-worker-latest/);
        await s.up();
        const report = await load.stop();
        assert.equal(report.failed, 0, report.failures.slice(0, 5).join("\n"));
        assert.deepEqual(Object.keys(report.versions), ["v3"]);
        for (const host of [h1, h2]) assert.equal(onHost(tb, host, k.currentRunningVersion("web")).trim(), "v3");
        assert.equal(onHost(tb, h1, k.currentRunningVersion("worker")).trim(), "v3");
    });

    it("rollback v1 boots our retained v1 containers' image; refresh reports it and up returns to v3", async function () {
        for (const [host, role] of [[h1, "web"], [h2, "web"], [h1, "worker"]]) {
            assert.ok(onHost(tb, host, k.containerIdForVersion(role, "v1")).trim(), `no ${role} v1 container on ${host} for rollback`);
        }
        const load = requestLoop([h1, h2].map((h) => `http://${h}/version`));
        for (const host of [h1, h2]) await kamalBoot(tb, k, host, "web", "v1", true);
        await kamalBoot(tb, k, h1, "worker", "v1", false);
        for (const host of [h1, h2]) onHost(tb, host, k.tagLatest("v1"));
        for (const host of [h1, h2]) assert.equal(await versionOn(host), "v1");
        assert.match(await refreshOutput(), /kamal-proxy routes kcompat-web to \w+:80, not kcompat-web-v3/);
        await s.up();
        const report = await load.stop();
        assert.equal(report.failed, 0, report.failures.slice(0, 5).join("\n"));
        for (const host of [h1, h2]) {
            assert.equal(await versionOn(host), "v3");
            // Our switch re-tags latest, so Kamal's next `app exec` runs v3 again.
            assert.equal(onHost(tb, host, k.execInNewContainer("web", "cat /app/VERSION", { hex: hex(3) })).trim(), "v3");
        }
    });

    it("proxy boot: adopts ours (version check, start); a reboot by Kamal's boot config keeps our routes", async function () {
        for (const host of [h1, h2]) {
            const [network, ver, mkdir, start] = k.proxyBoot();
            const created = spawnSync("ssh", ["-i", tb.keyPath, "-o", `UserKnownHostsFile=${tb.knownHosts}`, "-o", "BatchMode=yes", `${tb.user}@${host}`, network], { encoding: "utf8" });
            assert.match(created.stderr, /already exists/);
            assert.equal(onHost(tb, host, ver).trim(), "v0.9.2");
            onHost(tb, host, mkdir);
            onHost(tb, host, start);
        }
        onHost(tb, h2, "docker container stop kamal-proxy && docker container prune --force --filter label=org.opencontainers.image.title=kamal-proxy");
        onHost(tb, h2, k.proxyBoot()[3]);
        // A restarted kamal-proxy refuses connections until it has restored its state and
        // listens again; Kamal's reboot does not wait for that either.
        const answered = await waitFor("the rebooted kamal-proxy on h2 to answer", async () => {
            const r = await get(`http://${h2}/version`);
            return r.status === 200 ? r.body.trim() : undefined;
        }, 30_000);
        assert.equal(answered, "v3");
        const refreshed = await refreshOutput();
        assert.doesNotMatch(refreshed, /drift:/);
        const r = await s.up();
        assert.deepEqual(Object.entries(r.summary.resourceChanges ?? {}).filter(([op]) => op !== "same"), []);
    });

    it("prune keeps what serves; audit shows our steps beside Kamal's", async function () {
        for (const host of [h1, h2]) {
            onHost(tb, host, k.pruneContainers());
            for (const cmd of k.pruneImages()) onHost(tb, host, cmd);
            assert.equal(await versionOn(host), "v3");
            onHost(tb, host, `docker image inspect ${tb.appImage}:v3 ${tb.appImage}:latest >/dev/null`);
            onHost(tb, host, k.auditRecord("Pruned containers", "kamal-user"));
            const log = onHost(tb, host, k.auditReveal());
            assert.match(log, /^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\] \[[^\]]+\] \[web\] Booted app version v3$/m);
            assert.match(log, new RegExp(`\\[web\\] Tagging ${tb.appImage.replace(/[.:/]/g, "\\$&")}:v3 as the latest image$`, "m"));
            assert.match(log, /\] Pruned images$/m);
            assert.match(log, /\[kamal-user\] Pruned containers$/m);
        }
        await s.destroy();
    });

    it("a host laid out by Kamal is taken over by up without a failed request", async function () {
        const kt = new KamalCommands({ service: "ktake", repository: tb.appImage, clearEnv: {}, deployTimeout: 20, drainTimeout: 2, appPort: 80 });
        // Kamal's deploy boots kamal-proxy first (our destroy above removed the one it had started).
        const [network, , mkdir, start] = kt.proxyBoot();
        onHost(tb, h1, `${network} 2>/dev/null || true`);
        onHost(tb, h1, mkdir);
        onHost(tb, h1, start);
        onHost(tb, h1, kt.ensureEnvDirectory());
        onHostWithInput(tb, h1, `umask 077 && cat > ${kt.envFile("web")}`, "\n");
        await kamalBoot(tb, kt, h1, "web", "v1", true);
        onHost(tb, h1, kt.tagLatest("v1"));
        assert.equal(await versionOn(h1), "v1");
        const take = await testStack("ktake", async () => {
            const app = new KamalApp("ktake", {
                service: "ktake", image: `${tb.appImage}:v1`, roles: { web: { hosts: [h1] } },
                ssh: { user: tb.user, privateKey: pulumi.secret(fs.readFileSync(tb.keyPath, "utf8")), knownHosts: tb.knownHosts },
                registry: tb.registryUser ? { server: tb.registry, username: tb.registryUser, password: pulumi.secret(tb.registryPassword!) } : undefined,
                deployTimeout: 20, drainTimeout: 2,
            });
            return { id: app.roles.web.containers[0].containerId };
        });
        try {
            const load = requestLoop([`http://${h1}/version`]);
            const started = Date.now();
            const { outputs } = await take.up();
            const report = await load.stop();
            console.log(`      takeover up: ${((Date.now() - started) / 1000).toFixed(1)} s, ${report.total} requests, slowest ${Math.max(...report.latenciesMs)} ms`);
            assert.equal(report.failed, 0, report.failures.slice(0, 5).join("\n"));
            const names = onHost(tb, h1, "docker ps --all --filter label=service=ktake --format '{{.Names}} {{.State}} {{.ID}}'");
            assert.match(names, /ktake-web-v1_replaced_\w+ exited/);
            assert.match(names, new RegExp(`ktake-web-v1 running ${String(outputs.id).slice(0, 12)}`));
            assert.equal(await versionOn(h1), "v1");
            assert.equal(onHost(tb, h1, kt.currentRunningVersion("web")).trim(), "v1");
        } finally {
            await take.destroy().catch(() => undefined);
        }
    });
});
