/**
 * The pure argv builders, asserted argv by argv in the style of Kamal's
 * command tests, plus real-shell checks that quoting cannot be escaped.
 */
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join as pathJoin } from "node:path";
import assert from "node:assert/strict";
import * as docker from "../../provider/commands/docker";
import * as hooks from "../../provider/commands/hook";
import * as proxy from "../../provider/commands/proxy";
import { join, quote, splitWords } from "../../provider/commands/shell";

const PROXY_CLI = ["docker", "exec", "kamal-proxy", "kamal-proxy"];

/**
 * A PATH holding only `sh` and `touch`: if quoting ever broke, an injected
 * `touch` leaves a canary file, and nothing destructive (no `rm`) can run.
 */
function confinedEnv(dir: string): NodeJS.ProcessEnv {
    const bin = pathJoin(dir, ".bin");
    mkdirSync(bin, { recursive: true });
    for (const tool of ["sh", "touch"]) {
        const found = spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
        if (!existsSync(pathJoin(bin, tool))) symlinkSync(found, pathJoin(bin, tool));
    }
    return { PATH: bin };
}

/** How a remote shell (SSH runs `sh -c <line>`) parses a command line: each resulting word, NUL-separated. */
function shellWords(line: string, cwd: string): string[] {
    const r = spawnSync("/bin/sh", ["-c", `printf '%s\\0' ${line}`], { cwd, encoding: "utf8", env: confinedEnv(cwd) });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.split("\0").slice(0, -1);
}

/** Runs `join(argv)` through a real `sh -c`, as SshTransport does; returns the argv the program received. */
function roundTrip(args: string[], cwd: string): string[] {
    const line = join(["sh", "-c", 'printf "%s\\0" "$@"', "sh", ...args]);
    const r = spawnSync("/bin/sh", ["-c", line], { cwd, encoding: "utf8", env: confinedEnv(cwd) });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.split("\0").slice(0, -1);
}

describe("shell", () => {
    let dir: string;
    beforeEach(() => {
        dir = mkdtempSync(pathJoin(tmpdir(), "kamal-shell-"));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    describe("quote", () => {
        it("leaves plain words alone", () => {
            assert.equal(quote("docker"), "docker");
            assert.equal(quote("--env"), "--env");
            assert.equal(quote("KEY=va/l:u,e.x@1%+_-"), "KEY=va/l:u,e.x@1%+_-");
        });

        it("quotes the empty string as ''", () => {
            assert.equal(quote(""), "''");
        });

        it("single-quotes anything else, closing and escaping embedded single quotes", () => {
            assert.equal(quote("a b"), "'a b'");
            assert.equal(quote("$HOME"), "'$HOME'");
            assert.equal(quote("it's"), "'it'\\''s'");
            assert.equal(quote("~"), "'~'");
            assert.equal(quote("*"), "'*'");
        });

        it("quotes a word starting with = (zsh expands =cmd), not one with = inside", () => {
            assert.equal(quote("=ls"), "'=ls'");
            assert.equal(quote("="), "'='");
            assert.equal(quote("==x"), "'==x'");
            assert.equal(quote("KEY=value"), "KEY=value");
        });

        it("join separates quoted words by single spaces", () => {
            assert.equal(join(["echo", "a b", "", "c"]), "echo 'a b' '' c");
        });
    });

    describe("join through a real sh -c", () => {
        const nasty = [
            "$(rm -rf /)",
            "$(touch pwned-dollar)",
            "`touch pwned-backtick`",
            "; touch pwned-semicolon",
            "&& touch pwned-and",
            "| touch pwned-pipe",
            "> pwned-redirect",
            "'single' \"double\"",
            "it's",
            "'",
            "\"",
            "\\",
            "back\\slash\\",
            "line one\nline two\n",
            "  leading and trailing spaces  ",
            "tab\there",
            "",
            "$HOME ${PATH} $1 $@ $*",
            "~",
            "~/x",
            "*",
            "[p]*",
            "?",
            "!",
            "#not a comment",
            "a=b",
            "-n",
            "ünïcödé ✓",
        ];

        it("delivers every nasty string to the program unchanged", () => {
            writeFileSync(pathJoin(dir, "pwned-glob-target"), ""); // so an unquoted `[p]*` or `*` would expand
            assert.deepEqual(roundTrip(nasty, dir), nasty);
        });

        it("never runs anything embedded in an argument (no injection)", () => {
            roundTrip(nasty, dir);
            shellWords(join(nasty), dir);
            assert.deepEqual(readdirSync(dir).filter((f) => f !== ".bin"), []);
        });

        it("round-trips each string on its own, the empty one included", () => {
            for (const s of nasty) assert.deepEqual(shellWords(join([s]), dir), [s], JSON.stringify(s));
        });
    });

    describe("splitWords", () => {
        it("splits a Kamal cmd string on whitespace", () => {
            assert.deepEqual(splitWords("bin/jobs --queue default"), ["bin/jobs", "--queue", "default"]);
            assert.deepEqual(splitWords("  a \t b\n c  "), ["a", "b", "c"]);
            assert.deepEqual(splitWords(""), []);
            assert.deepEqual(splitWords("   "), []);
        });

        it("honours single quotes, double quotes and backslashes as sh does", () => {
            assert.deepEqual(splitWords(`echo 'a  b' "c  d"`), ["echo", "a  b", "c  d"]);
            assert.deepEqual(splitWords(`a'b'"c"d`), ["abcd"]);
            assert.deepEqual(splitWords(`"say \\"hi\\""`), [`say "hi"`]);
            assert.deepEqual(splitWords(`escaped\\ space`), ["escaped space"]);
            assert.deepEqual(splitWords(`'it'\\''s'`), ["it's"]);
            assert.deepEqual(splitWords(`'no \\ escapes in single'`), ["no \\ escapes in single"]);
            assert.deepEqual(splitWords(`"keep \\n backslash"`), ["keep \\n backslash"]);
        });

        it("keeps empty quoted words", () => {
            assert.deepEqual(splitWords(`a '' ""`), ["a", "", ""]);
        });

        it("expands nothing", () => {
            assert.deepEqual(splitWords("echo $HOME *.rb $(id) `id` ~"), ["echo", "$HOME", "*.rb", "$(id)", "`id`", "~"]);
            assert.deepEqual(splitWords(`"\\$HOME"`), ["$HOME"]);
        });

        it("agrees with sh on commands without expansions", () => {
            const commands = [
                "bin/jobs --queue default",
                `bundle exec 'sidekiq -C' "config/side kiq.yml"`,
                `a'b'"c"d e`,
                `"say \\"hi\\"" 'it'\\''s'`,
                `escaped\\ space and\\\\backslash`,
                `"keep \\n backslash" "esc \\\\ \\" \\$"`,
                `trailing\\`,
                ` x  ''  "" y `,
            ];
            for (const c of commands) assert.deepEqual(splitWords(c), shellWords(c, dir), c);
        });

        it("rejects unterminated quotes, naming the quote and the command", () => {
            assert.throws(() => splitWords("echo 'oops"), { message: "unterminated ' quote in command: echo 'oops" });
            assert.throws(() => splitWords(`echo "oops`), { message: `unterminated " quote in command: echo "oops` });
            assert.throws(() => splitWords(`"a\\"`), /unterminated " quote/);
        });
    });
});

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

describe("kamal-proxy commands", () => {
    it("upstream: the container's short ID and the app port, whatever the ID's length", () => {
        assert.equal(proxy.upstream("0123456789abcdef".repeat(4), 3000), "0123456789ab:3000");
        assert.equal(proxy.upstream("0123456789ab", 80), "0123456789ab:80");
    });

    const target: proxy.DeployTarget = {
        service: "app-web",
        target: "0123456789ab:3000",
        deployTimeout: 30,
        drainTimeout: 30,
        healthcheck: { path: "/up", interval: 1, timeout: 5 },
        responseTimeout: 30,
    };

    it("runProxy boots kamal-proxy as Kamal does", () => {
        assert.deepEqual(proxy.runProxy({ image: "basecamp/kamal-proxy:v0.9.2", httpPort: 80, httpsPort: 443 }), [
            "docker", "run", "--name", "kamal-proxy", "--network", "kamal", "--detach", "--restart", "unless-stopped",
            "--volume", "kamal-proxy-config:/home/kamal-proxy/.config/kamal-proxy",
            "--publish", "80:80", "--publish", "443:443",
            "--log-opt", "max-size=10m",
            "--label", "org.opencontainers.image.title=kamal-proxy",
            "basecamp/kamal-proxy:v0.9.2",
        ]);
        const custom = proxy.runProxy({ image: "p:1", httpPort: 8080, httpsPort: 8443 });
        assert.deepEqual(custom.slice(11, 15), ["--publish", "8080:80", "--publish", "8443:443"]);
        // Kamal's bind mount of .kamal/proxy/apps-config, right after the config volume
        const mounted = proxy.runProxy({ image: "p:1", httpPort: 80, httpsPort: 443, appsConfigDir: "/home/deploy/.kamal/proxy/apps-config" });
        assert.deepEqual(mounted.slice(9, 15), [
            "--volume", "kamal-proxy-config:/home/kamal-proxy/.config/kamal-proxy",
            "--volume", "/home/deploy/.kamal/proxy/apps-config:/home/kamal-proxy/.apps-config",
            "--publish", "80:80",
        ]);
    });

    const KAMAL_DEFAULTS = [
        "--buffer-requests", "--buffer-responses",
        "--log-request-header", "Cache-Control", "--log-request-header", "Last-Modified", "--log-request-header", "User-Agent",
    ];

    it("deploy with only the required settings: timeouts in seconds, Kamal's buffering and header logging", () => {
        assert.deepEqual(proxy.deploy(target), [
            ...PROXY_CLI, "deploy", "app-web",
            "--target", "0123456789ab:3000",
            "--deploy-timeout", "30s",
            "--drain-timeout", "30s",
            "--health-check-interval", "1s",
            "--health-check-timeout", "5s",
            "--health-check-path", "/up",
            "--target-timeout", "30s",
            ...KAMAL_DEFAULTS,
        ]);
    });

    it("deploy with every flag", () => {
        assert.deepEqual(proxy.deploy({
            ...target,
            hosts: ["app.example.com", "www.example.com"],
            pathPrefix: "/api",
            stripPathPrefix: false,
            tls: true,
            tlsRedirect: false,
            deployTimeout: 45,
            drainTimeout: 10,
            healthcheck: { path: "/health", interval: 2, timeout: 3 },
            responseTimeout: 60,
            forwardHeaders: true,
            buffering: { requests: true, responses: true, maxRequestBody: 1000, maxResponseBody: 2000, memory: 500 },
        }), [
            ...PROXY_CLI, "deploy", "app-web",
            "--target", "0123456789ab:3000",
            "--host", "app.example.com", "--host", "www.example.com",
            "--path-prefix", "/api",
            "--strip-path-prefix=false",
            "--tls",
            "--tls-redirect=false",
            "--deploy-timeout", "45s",
            "--drain-timeout", "10s",
            "--health-check-interval", "2s",
            "--health-check-timeout", "3s",
            "--health-check-path", "/health",
            "--target-timeout", "60s",
            "--forward-headers=true",
            "--buffer-requests",
            "--buffer-responses",
            "--buffer-memory", "500",
            "--max-request-body", "1000",
            "--max-response-body", "2000",
            "--log-request-header", "Cache-Control", "--log-request-header", "Last-Modified", "--log-request-header", "User-Agent",
        ]);
    });

    it("deploy: flags that only apply with their switch", () => {
        const tail = (t: Partial<proxy.DeployTarget>) => proxy.deploy({ ...target, ...t }).slice(PROXY_CLI.length + 16);
        // tls-redirect only with tls
        assert.deepEqual(tail({ tlsRedirect: false }), KAMAL_DEFAULTS);
        assert.ok(proxy.deploy({ ...target, tls: true, tlsRedirect: true }).includes("--tls"));
        assert.ok(!proxy.deploy({ ...target, tls: true, tlsRedirect: true }).some((a) => a.startsWith("--tls-redirect")));
        // strip-path-prefix only when turned off
        assert.ok(!proxy.deploy({ ...target, pathPrefix: "/x", stripPathPrefix: true }).some((a) => a.startsWith("--strip")));
        // buffering is on unless turned off (Kamal's default); limits and memory as given
        const logged = KAMAL_DEFAULTS.slice(2);
        assert.deepEqual(tail({ buffering: { requests: false, responses: false } }), ["--buffer-requests=false", "--buffer-responses=false", ...logged]);
        assert.deepEqual(tail({ buffering: { memory: 0, maxRequestBody: 10, maxResponseBody: 20 } }),
            ["--buffer-requests", "--buffer-responses", "--buffer-memory", "0", "--max-request-body", "10", "--max-response-body", "20", ...logged]);
        // header logging replaces Kamal's default list when set; response headers only when set
        assert.deepEqual(tail({ logRequestHeaders: ["X-Request-Id"], logResponseHeaders: ["Location"] }),
            ["--buffer-requests", "--buffer-responses", "--log-request-header", "X-Request-Id", "--log-response-header", "Location"]);
        assert.deepEqual(tail({ logRequestHeaders: [] }), ["--buffer-requests", "--buffer-responses"]);
        // forward-headers both ways, absent when unset
        assert.deepEqual(tail({ forwardHeaders: false }), ["--forward-headers=false", ...KAMAL_DEFAULTS]);
        assert.deepEqual(tail({}), KAMAL_DEFAULTS);
    });

    it("preflight deploys a throwaway service on an .invalid host, no TLS, no path prefix, 1s drain", () => {
        const check = proxy.preflight({ ...target, hosts: ["app.example.com"], pathPrefix: "/api", tls: true, drainTimeout: 30 }, "0123456789ab");
        assert.equal(check.service, "app-web-preflight-0123456789ab");
        assert.deepEqual(check.deploy, [
            ...PROXY_CLI, "deploy", "app-web-preflight-0123456789ab",
            "--target", "0123456789ab:3000",
            "--host", "0123456789ab.preflight.invalid",
            "--deploy-timeout", "30s",
            "--drain-timeout", "1s",
            "--health-check-interval", "1s",
            "--health-check-timeout", "5s",
            "--health-check-path", "/up",
            "--target-timeout", "30s",
            ...KAMAL_DEFAULTS,
        ]);
        assert.deepEqual(check.remove, [...PROXY_CLI, "remove", "app-web-preflight-0123456789ab"]);
    });

    it("preflight services are unique per container", () => {
        assert.notEqual(proxy.preflight(target, "aaaaaaaaaaaa").service, proxy.preflight(target, "bbbbbbbbbbbb").service);
    });

    it("pause, resume, remove, list", () => {
        assert.deepEqual(proxy.pause("app-web", 30, 365), [...PROXY_CLI, "pause", "app-web", "--drain-timeout", "30s", "--max-pause", "365s"]);
        assert.deepEqual(proxy.resume("app-web"), [...PROXY_CLI, "resume", "app-web"]);
        assert.deepEqual(proxy.remove("app-web"), [...PROXY_CLI, "remove", "app-web"]);
        assert.deepEqual(proxy.list(), [...PROXY_CLI, "list"]);
    });
});

describe("hook commands", () => {
    it("a string runs through sh -c, an argv as is", () => {
        assert.deepEqual(hooks.hookArgv("bin/rails db:migrate && echo done"), ["sh", "-c", "bin/rails db:migrate && echo done"]);
        assert.deepEqual(hooks.hookArgv(["bin/rails", "db:migrate"]), ["bin/rails", "db:migrate"]);
    });

    it("runHook execs in the container with the env plus KAMAL_HOOK_ID, sorted", () => {
        assert.deepEqual(hooks.runHook("c1", "bin/migrate", { ZED: "2", FOO: "1" }, "hook-1"), [
            "docker", "exec", "--env", "FOO=1", "--env", "KAMAL_HOOK_ID=hook-1", "--env", "ZED=2", "c1", "sh", "-c", "bin/migrate",
        ]);
        assert.deepEqual(hooks.runHook("c1", ["bin/migrate", "--all"], {}, "hook-2"), [
            "docker", "exec", "--env", "KAMAL_HOOK_ID=hook-2", "c1", "bin/migrate", "--all",
        ]);
    });

    it("runHook's id cannot be overridden by the hook's env", () => {
        assert.ok(hooks.runHook("c1", "x", { KAMAL_HOOK_ID: "spoofed" }, "real").includes("KAMAL_HOOK_ID=real"));
        assert.ok(!hooks.runHook("c1", "x", { KAMAL_HOOK_ID: "spoofed" }, "real").includes("KAMAL_HOOK_ID=spoofed"));
    });

    it("killHook signals processes by KAMAL_HOOK_ID, id passed as $1", () => {
        const argv = hooks.killHook("c1", "hook-1");
        assert.deepEqual(argv.slice(0, 5), ["docker", "exec", "c1", "sh", "-c"]);
        assert.deepEqual(argv.slice(6), ["sh", "hook-1"]);
        assert.match(argv[5], /KAMAL_HOOK_ID=\$1/);
        assert.match(argv[5], /kill -TERM /);
        assert.match(hooks.killHook("c1", "hook-1", "KILL")[5], /kill -KILL /);
    });

    describe("killHook's script, run for real on this machine", function () {
        this.timeout(10_000);
        const children: ChildProcess[] = [];
        afterEach(() => { for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL"); });

        const sleeper = (hookId: string) => {
            const c = spawn("sleep", ["30"], { env: { ...process.env, KAMAL_HOOK_ID: hookId }, stdio: "ignore" });
            children.push(c);
            return c;
        };
        const exited = (c: ChildProcess) => new Promise<string | null>((resolve) => c.once("exit", (_code, signal) => resolve(signal)));

        it("kills the process carrying the id and only that one", async () => {
            const id = `unit-${randomUUID()}`;
            const target = sleeper(id);
            const bystander = sleeper(`${id}-other`);
            await new Promise((r) => setTimeout(r, 100));
            const script = hooks.killHook("c1", id).slice(3); // what `docker exec c1` would run inside the container
            const r = spawnSync(script[0], script.slice(1), { encoding: "utf8" });
            assert.equal(r.status, 0, r.stderr);
            assert.equal(await exited(target), "SIGTERM");
            assert.equal(bystander.exitCode, null);
            assert.equal(bystander.signalCode, null);
        });
    });
});
