/**
 * Per-host setup under concurrency (Issue 11 §2): several resources booting
 * on one host at once must end with one `kamal` network, one login, one pull
 * per image, one kamal-proxy, and no Created container left behind.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join as pathJoin } from "node:path";
import * as docker from "../../provider/commands/docker";
import * as registryCmd from "../../provider/commands/registry";
import { join } from "../../provider/commands/shell";
import { ensureImage, ensureNetwork, repairNetworks } from "../../provider/effects/host-setup";
import { startContainer } from "../../provider/effects/containers";
import { ensureProxy } from "../../provider/effects/proxy";
import { CommandError, TransportError } from "../../provider/transport";
import { captureStderr, FakeHost, inspectOutput } from "./fakes";

const tick = () => new Promise((r) => setTimeout(r, 5));

/**
 * A Docker whose `network create` has the real daemon's race: the name check
 * and the creation are separate steps, so creates in flight together all succeed.
 */
function racyDocker(name = "h1") {
    const networks: { id: string; created: string; containers: number }[] = [];
    let seq = 0;
    const host = new FakeHost(name)
        .on(["docker", "network", "inspect", "--format", "{{.Name}}"], () =>
            networks.length === 1 ? { stdout: "kamal\n" }
                : { code: 1, stderr: networks.length ? `network kamal is ambiguous (${networks.length} matches found on name)` : "network kamal not found" })
        .on(["docker", "network", "ls"], () => ({ stdout: networks.map((n) => `${n.id}\tkamal\t${n.created}\n`).join("") + "f00\tkamal-other\t2024\n" }))
        .on(["docker", "network", "create"], async () => {
            const exists = networks.length > 0;
            await tick();
            if (exists) return { code: 1, stderr: "Error response from daemon: network with name kamal already exists" };
            seq++;
            networks.push({ id: `${seq}`.repeat(64), created: `2024-01-01 00:00:0${seq}`, containers: 0 });
            return { stdout: `${seq}\n` };
        })
        .on(["docker", "network", "inspect", "--format", "{{len .Containers}}"], (argv) => {
            const n = networks.find((x) => x.id === argv.at(-1));
            return n ? { stdout: `${n.containers}\n` } : { code: 1, stderr: "network not found" };
        })
        .on(["docker", "network", "rm"], (argv) => {
            const i = networks.findIndex((x) => x.id === argv.at(-1));
            if (i < 0) return { code: 1, stderr: "Error: No such network" };
            networks.splice(i, 1);
            return {};
        });
    return { host, networks };
}

describe("per-host setup under concurrency", () => {
    let stderr: ReturnType<typeof captureStderr>;
    beforeEach(() => { stderr = captureStderr(); });
    afterEach(() => stderr.restore());

    it("network: many resources at once on a fresh host create exactly one `kamal` network", async () => {
        const { host, networks } = racyDocker();
        await Promise.all(Array.from({ length: 5 }, () => ensureNetwork(host)));
        assert.equal(networks.length, 1);
        assert.equal(host.find(["docker", "network", "create"]).length, 1);
    });

    it("network: two processes racing (two creates succeed) end with one network, the same one kept by both", async () => {
        const { host, networks } = racyDocker();
        networks.push({ id: "9".repeat(64), created: "2024-01-01 00:00:09", containers: 0 });
        networks.push({ id: "8".repeat(64), created: "2024-01-01 00:00:08", containers: 0 });
        await ensureNetwork(host);
        assert.deepEqual(networks.map((n) => n.id), ["8".repeat(64)], "keeps the oldest");
        assert.ok(stderr.lines.some((l) => /removed 1 duplicate empty "kamal" network/.test(l)));
    });

    it("network: a host already broken keeps the network with containers and removes the empty one", async () => {
        const { host, networks } = racyDocker();
        networks.push({ id: "1".repeat(64), created: "2024-01-01 00:00:01", containers: 0 });
        networks.push({ id: "2".repeat(64), created: "2024-01-01 00:00:02", containers: 3 });
        await ensureNetwork(host);
        assert.deepEqual(networks.map((n) => n.id), ["2".repeat(64)]);
        assert.equal(host.find(["docker", "network", "create"]).length, 0);
    });

    it("network: two networks both in use are left alone with the exact commands to run", async () => {
        const { host, networks } = racyDocker();
        networks.push({ id: "1".repeat(64), created: "a", containers: 1 }, { id: "2".repeat(64), created: "b", containers: 2 });
        await assert.rejects(ensureNetwork(host), (e: Error) => {
            assert.ok(e instanceof TransportError);
            assert.match(e.message, /^h1: 2 Docker networks are named "kamal"/);
            assert.match(e.message, /docker network disconnect ID NAME && docker network connect 222222222222 NAME/);
            assert.match(e.message, /docker network rm 111111111111/);
            return true;
        });
        assert.equal(networks.length, 2);
        assert.equal(host.find(["docker", "network", "rm"]).length, 0);
    });

    it("network: a duplicate another racer already removed is not an error", async () => {
        const { host } = racyDocker();
        host.on(["docker", "network", "inspect", "--format", "{{len .Containers}}"], { stdout: "0\n" })
            .on(["docker", "network", "rm"], { code: 1, stderr: "Error response from daemon: network 2 not found" });
        await repairNetworks(host, [{ id: "1", created: "a" }, { id: "2", created: "b" }]);
        assert.deepEqual(host.find(["docker", "network", "rm"]).map((c) => c.argv), [docker.networkRemove("2")]);
    });

    it("registry: roles logging in and pulling the same image at once share one login and one pull", async () => {
        let pulling = 0;
        let maxPulling = 0;
        const host = new FakeHost("h1").on(["sh", "-c"], async () => { await tick(); return {}; })
            .on(["docker", "pull"], async () => {
                maxPulling = Math.max(maxPulling, ++pulling);
                await tick();
                pulling--;
                return {};
            });
        const registry = { server: "r.example.com", username: "bot", password: "pw" };
        await Promise.all([
            ensureImage(host, "r.example.com/app:v1", registry),
            ensureImage(host, "r.example.com/app:v1", registry),
            ensureImage(host, "r.example.com/app:v1", registry),
        ]);
        assert.equal(host.find((a) => a[2] === registryCmd.writeDockerConfig()[2]).length, 1);
        assert.equal(host.find(["docker", "pull"]).length, 1);
        assert.equal(maxPulling, 1);
        // A later deploy pulls again (a tag may have moved).
        await ensureImage(host, "r.example.com/app:v1", registry);
        assert.equal(host.find(["docker", "pull"]).length, 2);
    });

    it("proxy: two roles booting kamal-proxy at once run it once; losing a race to another process adopts theirs", async () => {
        let proxyUp = false;
        const host = racyDocker().host
            .on(["docker", "image", "inspect"], { stdout: "sha256:1\n" })
            .on((a) => a[1] === "container" && a[2] === "inspect", () =>
                proxyUp ? { stdout: inspectOutput("p".repeat(64), "kamal-proxy", { running: true }) } : { code: 1, stderr: "No such container" })
            .on(["docker", "run"], async () => { await tick(); proxyUp = true; return { stdout: "p\n" }; })
            .on(["docker", "exec", "kamal-proxy", "kamal-proxy", "list"], {});
        const spec = { image: "basecamp/kamal-proxy:v0.9.2", httpPort: 80, httpsPort: 443 };
        const [a, b] = await Promise.all([ensureProxy(host, spec), ensureProxy(host, spec)]);
        assert.equal(host.find(["docker", "run"]).length, 1);
        assert.deepEqual([a.created, b.created], [true, true]);

        const other = racyDocker("h2").host
            .on(["docker", "image", "inspect"], { stdout: "sha256:1\n" })
            .on((a2) => a2[1] === "container" && a2[2] === "inspect", { stdout: inspectOutput("p".repeat(64), "kamal-proxy", { running: true }) })
            .on((a2) => a2[1] === "container" && a2[2] === "inspect", { code: 1, stderr: "No such container" }, 1)
            .on(["docker", "run"], { code: 125, stderr: 'docker: Error response from daemon: Conflict. The container name "/kamal-proxy" is already in use' })
            .on(["docker", "exec", "kamal-proxy", "kamal-proxy", "list"], {});
        assert.deepEqual(await ensureProxy(other, spec), { created: false });
    });
});

describe("startContainer: no Created container left behind, never 'name already in use'", () => {
    const spec: docker.RunSpec = { name: "app-worker-v1", image: "app:v1", env: {}, labels: {}, volumes: [] };
    const inspecting = (a: string[]) => a[1] === "container" && a[2] === "inspect";

    it("a `docker run` that fails to start removes the Created container it left, and reports the failure", async () => {
        let created = false;
        const host = new FakeHost("h1")
            .on(inspecting, () => (created ? { stdout: inspectOutput("c".repeat(64), spec.name, { running: false, status: "created" }) } : { code: 1 }))
            .on(["docker", "run"], () => { created = true; return { code: 125, stderr: "docker: Error response from daemon: network kamal is ambiguous (2 matches found on name)." }; })
            .on(["docker", "rm"], () => { created = false; return {}; });
        await assert.rejects(startContainer(host, spec), (e: Error) => e instanceof CommandError && /ambiguous/.test(e.message));
        assert.deepEqual(host.find(["docker", "rm"]).map((c) => c.argv), [docker.remove("c".repeat(64))]);
        assert.equal(created, false);
    });

    /** A host where `docker run` conflicts, as Docker does, while a container holds the name. */
    const hostHolding = (holder?: { id: string; running: boolean; status?: string }) => {
        let current = holder;
        const host = new FakeHost("h1")
            .on(inspecting, () => (current ? { stdout: inspectOutput(current.id, spec.name, { running: current.running, status: current.status }) } : { code: 1 }))
            .on(["docker", "rm"], () => { current = undefined; return {}; })
            .on(["docker", "rename"], () => { current = undefined; return {}; })
            .on(["docker", "run"], () => {
                if (current) return { code: 125, stderr: `docker: Error response from daemon: Conflict. The container name "/${spec.name}" is already in use by container "${current.id}".` };
                current = { id: "n".repeat(64), running: true };
                return { stdout: `${current.id}\n` };
            });
        return host;
    };

    it("runs without looking first when the name is free", async () => {
        const host = hostHolding();
        assert.equal(await startContainer(host, spec), "n".repeat(64));
        assert.deepEqual(host.calls.map((c) => c.argv[1]), ["run"]);
    });

    it("a container created but never started by an earlier run is removed, then the new one runs", async () => {
        const host = hostHolding({ id: "c".repeat(64), running: false, status: "created" });
        assert.equal(await startContainer(host, spec), "n".repeat(64));
        assert.deepEqual(host.find(["docker", "rm"]).map((c) => c.argv), [docker.remove("c".repeat(64))]);
        assert.equal(host.find(["docker", "run"]).length, 2);
    });

    it("a running container of that name never recorded in state (provider killed) is set aside, not removed", async () => {
        const host = hostHolding({ id: "c".repeat(64), running: true });
        assert.equal(await startContainer(host, spec), "n".repeat(64));
        assert.match(host.find(["docker", "rename"])[0].argv[3], /^app-worker-v1_replaced_[0-9a-f]{8}$/);
        assert.equal(host.find(["docker", "rm"]).length, 0);
    });

    it("a name taken again after the takeover (another process) fails, without touching that process's container", async () => {
        let runs = 0;
        const host = new FakeHost("h1")
            .on(inspecting, { stdout: inspectOutput("o".repeat(64), spec.name, { running: false, status: "created" }) })
            .on(["docker", "rm"], {})
            .on(["docker", "run"], () => (++runs, { code: 125, stderr: `Conflict. The container name "/${spec.name}" is already in use by container "ooo"` }));
        await assert.rejects(startContainer(host, spec), /already in use/);
        assert.equal(runs, 2);
        assert.equal(host.find(["docker", "rm"]).length, 1, "only the leftover seen before the first retry is removed");
    });
});

describe("writePrivateFile run concurrently (real sh)", () => {
    let home: string;
    beforeEach(() => { home = mkdtempSync(pathJoin(tmpdir(), "kamal-home-")); });
    afterEach(() => rmSync(home, { recursive: true, force: true }));

    /** Resolves to the exit code, with stderr appended when it failed (so a failure says why). */
    const viaShell = (argv: string[], input: string) => new Promise<string>((resolve) => {
        const p = spawn("sh", ["-c", join(argv)], { env: { ...process.env, HOME: home }, stdio: ["pipe", "ignore", "pipe"] });
        let err = "";
        p.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
        p.on("close", (code) => resolve(code === 0 ? "0" : `${code}: ${err}`));
        p.stdin.on("error", () => undefined);
        p.stdin.end(input);
    });

    it("ten writers of one env file and removers of a sibling all succeed, leaving one whole version and no temp files", async () => {
        const path = ".kamal/apps/app/env/roles/web.env";
        const codes = await Promise.all(Array.from({ length: 10 }, (_, i) => [
            viaShell(docker.writePrivateFile(path), `A=${i}\n`.repeat(200)),
            viaShell(docker.removeFile(".kamal/apps/app/env/roles/worker.env"), ""),
        ]).flat());
        assert.deepEqual(codes, codes.map(() => "0"));
        const text = readFileSync(pathJoin(home, path), "utf8");
        assert.match(text, /^(A=\d+\n)+$/);
        assert.equal(new Set(text.split("\n").filter(Boolean)).size, 1, "one writer's content, whole");
        assert.deepEqual(readdirSync(home).filter((f) => f.startsWith(".kamal-write")), []);
    });
});
