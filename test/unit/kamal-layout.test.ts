/**
 * The Kamal host layout builders, each checked against what Kamal 2.12's own
 * commands produce for the same config (its test/commands/*_test.rb cases).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { roleLogging, roleStopTimeout } from "../../components/inputs";
import { parseAppConfig } from "../../config/validate";
import * as docker from "../../provider/commands/docker";
import * as kamal from "../../provider/commands/kamal";

describe("Kamal layout builders", () => {
    it("repository, REPO:VERSION and the latest tag, for tags, digests, ports and destinations", () => {
        assert.equal(kamal.repositoryOf("dhh/app:999"), "dhh/app");
        assert.equal(kamal.repositoryOf("registry:5000/team/app:v1"), "registry:5000/team/app");
        assert.equal(kamal.repositoryOf("registry:5000/team/app"), "registry:5000/team/app");
        assert.equal(kamal.repositoryOf(`r.example.com/app@sha256:${"ab".repeat(32)}`), "r.example.com/app");
        assert.equal(kamal.absoluteImage(`r.example.com/app@sha256:${"ab".repeat(32)}`, "abababababab"), "r.example.com/app:abababababab");
        assert.equal(kamal.absoluteImage("dhh/app:v42", "release-7"), "dhh/app:release-7");
        assert.equal(kamal.latestImage("dhh/app:999"), "dhh/app:latest");
        assert.equal(kamal.latestImage("dhh/app:999", "staging"), "dhh/app:latest-staging");
    });

    it("KAMAL_* env, as Kamal hands it to containers and hooks: KAMAL_DESTINATION only with a destination", () => {
        const who = { service: "app", role: "web", version: "v2", host: "h1", containerName: "app-web-v2" };
        assert.deepEqual(kamal.kamalEnv(who), {
            KAMAL_SERVICE: "app", KAMAL_ROLE: "web", KAMAL_HOST: "h1", KAMAL_VERSION: "v2", KAMAL_CONTAINER_NAME: "app-web-v2",
        });
        assert.equal(kamal.kamalEnv({ ...who, destination: "staging" }).KAMAL_DESTINATION, "staging");
        assert.ok(!("KAMAL_DESTINATION" in kamal.kamalEnv({ ...who, destination: "" })));
    });

    it("hostname: the host's first 51 characters, no trailing dot, then 12 hex digits", () => {
        assert.equal(kamal.containerHostname("1.1.1.1", "0123456789ab"), "1.1.1.1-0123456789ab");
        const long = `${"a".repeat(50)}.example.com`;
        assert.equal(kamal.containerHostname(long, "0123456789ab"), `${"a".repeat(50)}-0123456789ab`);
        assert.equal(kamal.containerHostname("::1", "0123456789ab"), "--1-0123456789ab");
    });

    describe("env file, as Kamal::EnvFile writes it", () => {
        // Kamal's env_file_test.rb cases, expected strings as Ruby produces them.
        it("plain values, quotes and # kept literal", () => {
            assert.equal(kamal.envFile({ foo: "bar", baz: "qux" }), "baz=qux\nfoo=bar\n");
            assert.equal(kamal.envFile({ foo: 'hello "world"' }), 'foo=hello "world"\n');
            assert.equal(kamal.envFile({ foo: "a#b #{c}" }), "foo=a#b #{c}\n");
        });

        it("backslashes doubled, control characters escaped, non-ASCII untouched", () => {
            assert.equal(kamal.envFile({ foo: "C:\\path" }), "foo=C:\\\\path\n");
            assert.equal(kamal.envFile({ foo: "line1\nline2\ttab\r" }), "foo=line1\\nline2\\ttab\\r\n");
            assert.equal(kamal.envFile({ foo: "\x01\x1b\x7f" }), "foo=\\x01\\e\\x7F\n");
            assert.equal(kamal.envFile({ foo: "café ☕ \\ ok" }), "foo=café ☕ \\\\ ok\n");
        });

        it("an empty env is one newline", () => {
            assert.equal(kamal.envFile({}), "\n");
        });
    });

    describe("docker run as Kamal's app run", () => {
        const base: docker.RunSpec = { name: "app-web-999", image: "dhh/app:999", env: {}, labels: {}, volumes: [] };

        it("--hostname right after the network", () => {
            assert.deepEqual(docker.run({ ...base, hostname: "myhost" }).slice(0, 11), [
                "docker", "run", "--detach", "--restart", "unless-stopped", "--name", "app-web-999", "--network", "kamal", "--hostname", "myhost",
            ]);
        });

        it("a restart option is the restart policy, never a second --restart", () => {
            const argv = docker.run({ ...base, options: { restart: "on-failure:3", memory: "1g" } });
            assert.deepEqual(argv.filter((a) => a === "--restart").length, 1);
            assert.equal(argv[argv.indexOf("--restart") + 1], "on-failure:3");
            assert.ok(argv.includes("--memory") && !argv.includes("on-failure:3", argv.indexOf("--memory")));
        });
    });

    it("role logging merges over the app's (role driver wins, options combined)", () => {
        const app = parseAppConfig("demo", {
            service: "app", image: "dhh/app:1",
            logging: { driver: "json-file", options: { "max-size": "100m", "max-file": "3" } },
            roles: { web: { hosts: ["a"], logging: { options: { "max-size": "5m" } } }, jobs: { hosts: ["b"], logging: { driver: "journald" } }, cron: { hosts: ["c"] } },
        });
        assert.deepEqual(roleLogging(app, "web"), { driver: "json-file", options: { "max-size": "5m", "max-file": "3" } });
        assert.deepEqual(roleLogging(app, "jobs"), { driver: "journald", options: { "max-size": "100m", "max-file": "3" } });
        assert.deepEqual(roleLogging(app, "cron"), app.logging);
        const bare = parseAppConfig("demo", { service: "app", image: "dhh/app:1", roles: { web: { hosts: ["a"] } } });
        assert.equal(roleLogging(bare, "web"), undefined);
    });

    it("stop timeout as Kamal's stop_args: the role's, else none for proxied roles, else drain_timeout", () => {
        const app = parseAppConfig("demo", {
            service: "app", image: "dhh/app:1", drainTimeout: 20,
            roles: { web: { hosts: ["a"] }, jobs: { hosts: ["b"] }, slow: { hosts: ["c"], stopTimeout: 60 } },
        });
        assert.equal(roleStopTimeout(app, "web"), undefined);
        assert.equal(roleStopTimeout(app, "jobs"), 20);
        assert.equal(roleStopTimeout(app, "slow"), 60);
    });

    it("image label, tag and metadata-only build", () => {
        assert.deepEqual(kamal.imageConfig("dhh/app:1"), ["docker", "image", "inspect", "--format", "{{.Id}}\t{{json .Config.Labels}}", "dhh/app:1"]);
        assert.deepEqual(kamal.tag("dhh/app:1", "dhh/app:latest"), ["docker", "tag", "dhh/app:1", "dhh/app:latest"]);
        assert.deepEqual(kamal.labelImage("dhh/app:1", { service: "app" }),
            ["env", "DOCKER_BUILDKIT=0", "docker", "build", "--quiet", "--label", "service=app", "--tag", "dhh/app:1", "-"]);
    });

    describe("prune, as Kamal's prune_test.rb", () => {
        it("stopped containers of the whole service, Kamal's filters but for created (a held role's container waits so for its hook)", () => {
            assert.deepEqual(kamal.stoppedServiceContainers("app"), [
                "docker", "ps", "-q", "-a", "--filter", "label=service=app",
                "--filter", "status=exited", "--filter", "status=dead",
            ]);
            assert.deepEqual(kamal.pruneDanglingImages("app"), ["docker", "image", "prune", "--force", "--filter", "label=service=app"]);
        });

        it("removes tags no container uses, keeping the latest tag and untagged images", () => {
            const images = ["aa dhh/app:1", "bb dhh/app:2", "cc dhh/app:latest", "dd dhh/app:<none>", "ee dhh/app:3", ""].join("\n");
            assert.deepEqual(kamal.imagesToRemove(images, ["dhh/app:2", "dhh/app:3"], "dhh/app:latest"), ["dhh/app:1"]);
        });
    });

    it("proxy files through a real shell: written with their mode, old error pages cleaned, only apps-config dirs removed", () => {
        const home = spawnSync("mktemp", ["-d"], { encoding: "utf8" }).stdout.trim();
        const sh = (argv: string[], input?: string) => spawnSync(argv[0], argv.slice(1), { input, env: { HOME: home, PATH: process.env.PATH }, encoding: "utf8" });
        const dir = ".kamal/proxy/apps-config/app";
        for (const v of ["v1", "v2"]) assert.equal(sh(kamal.writeProxyFile(`${dir}/error_pages/${v}/503.html`), `<p>${v}</p>`).status, 0);
        assert.equal(sh(kamal.writeProxyFile(`${dir}/tls/web/key.pem`), "KEY").status, 0);
        assert.equal(spawnSync("stat", ["-c", "%a", `${home}/${dir}/tls/web/key.pem`], { encoding: "utf8" }).stdout.trim(), "644");
        assert.equal(sh(kamal.cleanErrorPages(`${dir}/error_pages`, "v2")).status, 0);
        assert.equal(spawnSync("ls", [`${home}/${dir}/error_pages`], { encoding: "utf8" }).stdout, "v2\n");
        assert.equal(sh(kamal.cleanErrorPages(".kamal/proxy/apps-config/none/error_pages", "v2")).status, 0);
        assert.equal(sh(kamal.removeProxyDir(`${dir}/tls/web`)).status, 0);
        assert.equal(spawnSync("ls", [`${home}/${dir}/tls`], { encoding: "utf8" }).stdout, "");
        assert.equal(sh(kamal.removeProxyDir(".kamal")).status, 2);
        assert.equal(sh(kamal.removeProxyDir(".kamal/proxy/apps-config/")).status, 2);
        spawnSync("rm", ["-rf", home]);
    });

    describe("audit", () => {
        const at = new Date("2024-05-01T10:11:12.345Z");

        it("log path and line as Kamal's auditor_test.rb", () => {
            assert.equal(kamal.auditLogPath("app"), ".kamal/app-audit.log");
            assert.equal(kamal.auditLogPath("app", "staging"), ".kamal/app-staging-audit.log");
            assert.equal(kamal.auditLine("Booted app version 999", { at, performer: "dhh" }), "[2024-05-01T10:11:12Z] [dhh] Booted app version 999");
            assert.equal(kamal.auditLine("Booted", { at, performer: "dhh", destination: "staging", role: "web" }), "[2024-05-01T10:11:12Z] [dhh] [staging] [web] Booted");
        });

        it("appends through a real shell, however the line is quoted", () => {
            const home = spawnSync("mktemp", ["-d"], { encoding: "utf8" }).stdout.trim();
            const line = `[t] [x] it's "$(touch pwned)" \`id\``;
            const argv = kamal.appendAudit(".kamal/app-audit.log", line);
            for (let i = 0; i < 2; i++) assert.equal(spawnSync(argv[0], argv.slice(1), { env: { HOME: home, PATH: process.env.PATH } }).status, 0);
            const shown = spawnSync(kamal.revealAudit(".kamal/app-audit.log")[0], kamal.revealAudit(".kamal/app-audit.log").slice(1), { cwd: home, encoding: "utf8" });
            assert.equal(shown.stdout, `${line}\n${line}\n`);
            assert.equal(spawnSync("ls", [home], { encoding: "utf8" }).stdout, "");
            spawnSync("rm", ["-rf", home]);
        });
    });
});
