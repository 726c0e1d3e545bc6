/** provider/commands/docker.ts: the docker argv builders, argv by argv in the style of Kamal's command tests. */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join as pathJoin } from "node:path";
import assert from "node:assert/strict";
import * as docker from "../../provider/commands/docker";
import { join } from "../../provider/commands/shell";

describe("docker commands", () => {
    const base: docker.RunSpec = {
        name: "app-web-v1",
        image: "registry.example.com/app:v1",
        env: {},
        labels: {},
        volumes: [],
    };

    describe("run", () => {
        it("boots a detached container on the kamal network with bounded logs by default", () => {
            assert.deepEqual(docker.run(base), [
                "docker", "run", "--detach", "--restart", "unless-stopped",
                "--name", "app-web-v1", "--network", "kamal",
                "--log-opt", "max-size=10m",
                "registry.example.com/app:v1",
            ]);
        });

        it("passes env sorted by name, the env file, volumes, labels sorted, then image and cmd", () => {
            assert.deepEqual(docker.run({
                ...base,
                env: { RAILS_ENV: "production", A_FIRST: "x y", MIDDLE: "" },
                envFile: "/home/deploy/.kamal/apps/app/env/roles/web.env",
                labels: { service: "app", role: "web", destination: "" },
                volumes: ["/data:/data", "logs:/rails/log"],
                cmd: ["bin/rails", "server", "-b", "0.0.0.0"],
            }), [
                "docker", "run", "--detach", "--restart", "unless-stopped",
                "--name", "app-web-v1", "--network", "kamal",
                "--env", "A_FIRST=x y", "--env", "MIDDLE=", "--env", "RAILS_ENV=production",
                "--env-file", "/home/deploy/.kamal/apps/app/env/roles/web.env",
                "--log-opt", "max-size=10m",
                "--volume", "/data:/data", "--volume", "logs:/rails/log",
                "--label", "destination=", "--label", "role=web", "--label", "service=app",
                "registry.example.com/app:v1",
                "bin/rails", "server", "-b", "0.0.0.0",
            ]);
        });

        it("maps role options: strings, numbers, true as a bare flag, false dropped, arrays repeated, keys sorted", () => {
            assert.deepEqual(docker.run({
                ...base,
                options: { memory: "1g", "add-host": ["a:10.0.0.1", "b:10.0.0.2"], privileged: true, init: false, cpus: 2 },
            }).slice(-12), [
                "--log-opt", "max-size=10m",
                "--add-host", "a:10.0.0.1", "--add-host", "b:10.0.0.2",
                "--cpus", "2",
                "--memory", "1g",
                "--privileged",
                "registry.example.com/app:v1",
            ]);
        });

        it("options() alone: an empty map gives nothing", () => {
            assert.deepEqual(docker.options({}), []);
            assert.deepEqual(docker.options(), []);
            assert.deepEqual(docker.options({ "read-only": true, tmpfs: ["/tmp"] }), ["--read-only", "--tmpfs", "/tmp"]);
        });

        it("uses a custom log driver and options instead of the default", () => {
            const argv = docker.run({ ...base, logging: { driver: "local", options: { "max-size": "100m", "max-file": "3" } } });
            assert.deepEqual(argv.slice(9, -1), ["--log-driver", "local", "--log-opt", "max-file=3", "--log-opt", "max-size=100m"]);
        });

        it("log options without a driver replace the default max-size", () => {
            const argv = docker.run({ ...base, logging: { options: { "max-size": "5m" } } });
            assert.deepEqual(argv.slice(9, -1), ["--log-opt", "max-size=5m"]);
        });

        it("a driver alone gets no json-file log options", () => {
            const argv = docker.run({ ...base, logging: { driver: "journald" } });
            assert.deepEqual(argv.slice(9, -1), ["--log-driver", "journald"]);
        });

        it("an empty logging map keeps the default", () => {
            assert.deepEqual(docker.run({ ...base, logging: {} }).slice(9, -1), ["--log-opt", "max-size=10m"]);
        });

        it("honours restart policy, network and published ports", () => {
            assert.deepEqual(docker.run({ ...base, restart: "no", network: "host", publish: ["80:80", "443:443"] }), [
                "docker", "run", "--detach", "--restart", "no",
                "--name", "app-web-v1", "--network", "host",
                "--publish", "80:80", "--publish", "443:443",
                "--log-opt", "max-size=10m",
                "registry.example.com/app:v1",
            ]);
        });

        it("an empty cmd appends nothing", () => {
            assert.equal(docker.run({ ...base, cmd: [] }).at(-1), "registry.example.com/app:v1");
        });

        it("create: the same container, not started (no --detach)", () => {
            const spec = { ...base, env: { A: "1" }, options: { restart: "no", memory: "1g" } };
            assert.deepEqual(docker.create(spec), ["docker", "create", ...docker.run(spec).slice(3)]);
            assert.deepEqual(docker.run(spec).slice(0, 3), ["docker", "run", "--detach"]);
        });
    });

    it("network inspect and create", () => {
        assert.deepEqual(docker.networkInspect(), ["docker", "network", "inspect", "--format", "{{.Name}}", "kamal"]);
        assert.deepEqual(docker.networkCreate(), ["docker", "network", "create", "kamal"]);
        assert.deepEqual(docker.networkCreate("other"), ["docker", "network", "create", "other"]);
    });

    it("image inspect and pull", () => {
        assert.deepEqual(docker.imageInspect("app:v1"), ["docker", "image", "inspect", "--format", "{{.Id}}", "app:v1"]);
        assert.deepEqual(docker.pull("app:v1"), ["docker", "pull", "app:v1"]);
    });

    it("container lifecycle", () => {
        assert.deepEqual(docker.inspectContainer("c1"), ["docker", "container", "inspect", "--format", "{{json .State}}\t{{.Id}}\t{{.Name}}", "c1"]);
        assert.deepEqual(docker.stop("c1"), ["docker", "stop", "c1"]);
        assert.deepEqual(docker.stop("c1", 10), ["docker", "stop", "--time", "10", "c1"]);
        assert.deepEqual(docker.stop("c1", 0), ["docker", "stop", "--time", "0", "c1"]);
        assert.deepEqual(docker.start("c1"), ["docker", "start", "c1"]);
        assert.deepEqual(docker.remove("c1", "c2"), ["docker", "rm", "--force", "c1", "c2"]);
        assert.deepEqual(docker.rename("c1", "c1_replaced_ab"), ["docker", "rename", "c1", "c1_replaced_ab"]);
        assert.deepEqual(docker.logs("c1"), ["docker", "logs", "--tail", "20", "c1"]);
        assert.deepEqual(docker.logs("c1", 5), ["docker", "logs", "--tail", "5", "c1"]);
    });

    it("listRoleContainers filters by service and role labels, all states, full ids", () => {
        assert.deepEqual(docker.listRoleContainers("app", "web"), [
            "docker", "ps", "--all", "--no-trunc",
            "--filter", "label=service=app",
            "--filter", "label=role=web",
            "--format", '{{.ID}}\t{{.Names}}\t{{.State}}\t{{.CreatedAt}}\t{{.Label "destination"}}',
        ]);
    });

    it("exec passes env sorted, then the container, then the argv as is", () => {
        assert.deepEqual(docker.exec("c1", ["bin/rails", "db:migrate"], { Z: "1", A: "two words" }), [
            "docker", "exec", "--env", "A=two words", "--env", "Z=1", "c1", "bin/rails", "db:migrate",
        ]);
        assert.deepEqual(docker.exec("c1", ["true"]), ["docker", "exec", "c1", "true"]);
    });

    describe("writePrivateFile / removeFile (run for real through sh -c, as over SSH)", () => {
        let home: string;
        beforeEach(() => {
            home = mkdtempSync(pathJoin(tmpdir(), "kamal-home-"));
        });
        afterEach(() => rmSync(home, { recursive: true, force: true }));

        const viaShell = (argv: string[], input?: string) =>
            spawnSync("sh", ["-c", join(argv)], { input, encoding: "utf8", env: { ...process.env, HOME: home } });

        it("passes the path as $1 of a fixed script", () => {
            const argv = docker.writePrivateFile(".kamal/apps/app/env/roles/web.env");
            assert.deepEqual([argv[0], argv[1], argv[3], argv[4]], ["sh", "-c", "sh", ".kamal/apps/app/env/roles/web.env"]);
            const rm = docker.removeFile("x.env");
            assert.deepEqual([rm[0], rm[1], rm[3], rm[4]], ["sh", "-c", "sh", "x.env"]);
        });

        it("writes stdin under $HOME with mode 0600, creating directories, and prints the absolute path", () => {
            const r = viaShell(docker.writePrivateFile(".kamal/apps/app/env/roles/web.env"), "SECRET=s3cr3t\n");
            assert.equal(r.status, 0, r.stderr);
            const file = pathJoin(home, ".kamal/apps/app/env/roles/web.env");
            assert.equal(r.stdout, file);
            assert.equal(readFileSync(file, "utf8"), "SECRET=s3cr3t\n");
            assert.equal(statSync(file).mode & 0o777, 0o600);
            assert.ok(!existsSync(`${file}.tmp`));
        });

        it("overwrites an existing file and treats a hostile path literally", () => {
            const path = "dir with space/$(touch pwned).env";
            assert.equal(viaShell(docker.writePrivateFile(path), "A=1\n").status, 0);
            assert.equal(viaShell(docker.writePrivateFile(path), "A=2\n").status, 0);
            assert.equal(readFileSync(pathJoin(home, path), "utf8"), "A=2\n");
            assert.ok(!existsSync(pathJoin(home, "pwned")));
            assert.equal(viaShell(docker.removeFile(path)).status, 0);
            assert.ok(!existsSync(pathJoin(home, path)));
        });

        it("removing the env file also removes the directories it leaves empty, and keeps others", () => {
            assert.equal(viaShell(docker.writePrivateFile(".kamal/apps/a/env/roles/web.env"), "A=1\n").status, 0);
            assert.equal(viaShell(docker.writePrivateFile(".kamal/apps/b/env/roles/web.env"), "B=1\n").status, 0);
            assert.equal(viaShell(docker.removeFile(".kamal/apps/a/env/roles/web.env")).status, 0);
            assert.ok(!existsSync(pathJoin(home, ".kamal/apps/a")));
            assert.ok(existsSync(pathJoin(home, ".kamal/apps/b/env/roles/web.env")));
        });
    });
});
