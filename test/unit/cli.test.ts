/**
 * The `pulumi-kamal` CLI without hosts: argument parsing, --help, and every
 * way it stops before the engine runs (bad config, no Pulumi CLI, no
 * passphrase), plus KamalApp.fromDeployYml under Pulumi's mocks.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { HELP, parseCli } from "../../cli/main";
import { findProject, prepareWorkspace, UsageError } from "../../cli/run";
import { KamalApp } from "../../components/KamalApp";
import { KamalConfigError } from "../../config/validate";
import * as root from "../../index";

const REPO = path.resolve(__dirname, "../../..");
const MAIN = path.join(REPO, "dist/cli/main.js");
const FIXTURES = path.join(REPO, "test/fixtures/deploy-yml");

/** Runs the CLI as `npx pulumi-kamal` would, with only the given environment (plus a PATH without pulumi). */
function cli(args: string[], opts: { cwd: string; env?: Record<string, string> }) {
    const r = spawnSync(process.execPath, [MAIN, ...args], {
        cwd: opts.cwd,
        env: { PATH: "/usr/bin:/bin", HOME: os.tmpdir(), ...opts.env },
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        timeout: 30_000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A copy of a fixture project in a temporary directory (so the tests can check nothing was written). */
function project(name: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pk-cli-"));
    fs.cpSync(path.join(FIXTURES, name), dir, { recursive: true });
    return dir;
}

/** A directory with a `pulumi` that must never run. */
function fakePulumiDir(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pk-fake-pulumi-"));
    fs.writeFileSync(path.join(dir, "pulumi"), "#!/bin/sh\necho fake pulumi ran >&2\nexit 99\n", { mode: 0o755 });
    return dir;
}

describe("cli: arguments", function () {
    it("parses the commands and Kamal's -d and -c", function () {
        assert.deepEqual(parseCli(["deploy"]), { command: "deploy" });
        assert.deepEqual(parseCli(["preview", "-d", "staging"]), { command: "preview", destination: "staging" });
        assert.deepEqual(parseCli(["destroy", "--destination=qa", "--config-file", "config/other.yml"]), {
            command: "destroy",
            destination: "qa",
            configFile: "config/other.yml",
        });
        assert.deepEqual(parseCli(["-c", "x.yml", "deploy"]), { command: "deploy", configFile: "x.yml" });
        assert.deepEqual(parseCli(["--help"]), { help: true });
        assert.deepEqual(parseCli(["deploy", "-h"]), { help: true });
        assert.deepEqual(parseCli(["help"]), { help: true });
    });

    it("rejects what it does not know", function () {
        assert.match((parseCli([]) as { error: string }).error, /no command/);
        assert.match((parseCli(["up"]) as { error: string }).error, /unknown command "up"/);
        assert.match((parseCli(["deploy", "now"]) as { error: string }).error, /unexpected argument "now"/);
        assert.match((parseCli(["deploy", "--roles", "web"]) as { error: string }).error, /--roles/);
        assert.match((parseCli(["deploy", "-d"]) as { error: string }).error, /-d/);
        assert.match((parseCli(["deploy", "-d", ""]) as { error: string }).error, /destination is empty/);
    });

    it("--help documents the commands, options, environment, state and exit codes", function () {
        const r = cli(["--help"], { cwd: os.tmpdir() });
        assert.equal(r.code, 0);
        assert.equal(r.stdout, HELP);
        assert.match(r.stdout, /^Usage: pulumi-kamal <command> \[-d DESTINATION\] \[-c CONFIG_FILE\]/);
        for (const text of ["deploy", "preview", "destroy", "-d, --destination", "-c, --config-file", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_CLI_DIR", ".kamal/pulumi-state", "Exit status"]) {
            assert.ok(r.stdout.includes(text), `--help does not mention ${text}`);
        }
        assert.equal(r.stderr, "");
    });

    it("bad usage exits 2 with a hint", function () {
        for (const args of [[], ["up"], ["deploy", "--hosts", "1.2.3.4"]]) {
            const r = cli(args, { cwd: os.tmpdir() });
            assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
            assert.match(r.stderr, /Run pulumi-kamal --help for usage/);
        }
    });
});

describe("cli: stops before touching any host", function () {
    it("a bad config/deploy.yml: exit 2 with every problem, file and line; nothing written", function () {
        const dir = project("broken-unknown-keys");
        const r = cli(["deploy"], { cwd: dir, env: { PULUMI_CONFIG_PASSPHRASE: "x", PULUMI_CLI_DIR: fakePulumiDir() } });
        assert.equal(r.code, 2);
        assert.equal(r.stdout, "");
        assert.equal(
            r.stderr,
            [
                "Invalid config/deploy.yml:",
                '  - config/deploy.yml:5: servers.web.hsts: unknown key; did you mean "hosts"?',
                '  - config/deploy.yml:10: proxy.app_prot: unknown key; did you mean "app_port"?',
                '  - config/deploy.yml:12: proxy.healthcheck.pth: unknown key; did you mean "path"?',
                '  - config/deploy.yml:14: ssh.usr: unknown key; did you mean "user"?',
                '  - config/deploy.yml:18: env.secrets: unknown key; did you mean "secret"?',
                "",
            ].join("\n"),
        );
        assert.ok(!fs.existsSync(path.join(dir, ".kamal")), "the CLI wrote .kamal/");
    });

    it("finds config/deploy.yml from a subdirectory, and takes -c relative to the current directory", function () {
        const dir = project("broken-unknown-keys");
        fs.mkdirSync(path.join(dir, "app/models"), { recursive: true });
        const fromSub = cli(["preview"], { cwd: path.join(dir, "app/models") });
        assert.equal(fromSub.code, 2);
        assert.match(fromSub.stderr, /config\/deploy\.yml:5: servers\.web\.hsts: unknown key/);
        const withC = cli(["preview", "-c", path.relative(os.tmpdir(), path.join(dir, "config/deploy.yml"))], { cwd: os.tmpdir() });
        assert.equal(withC.code, 2);
        assert.match(withC.stderr, /config\/deploy\.yml:5: servers\.web\.hsts: unknown key/);
    });

    it("a destination without its file: exit 2", function () {
        const r = cli(["deploy", "-d", "nowhere"], { cwd: project("minimal") });
        assert.equal(r.code, 2);
        assert.match(r.stderr, /config\/deploy\.nowhere\.yml: configuration file not found for destination "nowhere"/);
    });

    it("no config/deploy.yml here or above: exit 2", function () {
        const r = cli(["deploy"], { cwd: fs.mkdtempSync(path.join(os.tmpdir(), "pk-empty-")) });
        assert.equal(r.code, 2);
        assert.match(r.stderr, /no config\/deploy\.yml in .* or any directory above it/);
        const c = cli(["deploy", "-c", "nope.yml"], { cwd: os.tmpdir() });
        assert.equal(c.code, 2);
        assert.match(c.stderr, /nope\.yml: configuration file not found/);
    });

    it("no Pulumi CLI: exit 2, saying how to install it; loader warnings come first", function () {
        const r = cli(["deploy"], { cwd: project("warnings"), env: { PULUMI_CONFIG_PASSPHRASE: "x" } });
        assert.equal(r.code, 2);
        assert.match(r.stderr, /^warning: config\/deploy\.yml:\d+: /);
        assert.match(r.stderr, /the Pulumi CLI is not installed/);
        assert.match(r.stderr, /get\.pulumi\.com/);
        assert.match(r.stderr, /PULUMI_CLI_DIR/);
        const bad = cli(["deploy"], { cwd: project("minimal"), env: { PULUMI_CONFIG_PASSPHRASE: "x", PULUMI_CLI_DIR: os.tmpdir() } });
        assert.equal(bad.code, 2);
        assert.match(bad.stderr, /PULUMI_CLI_DIR=.* holds no pulumi executable/);
    });

    it("no passphrase and no terminal: exit 2 with the fix; nothing written", function () {
        const dir = project("minimal");
        const r = cli(["deploy"], { cwd: dir, env: { PULUMI_CLI_DIR: fakePulumiDir() } });
        assert.equal(r.code, 2);
        assert.match(r.stderr, /PULUMI_CONFIG_PASSPHRASE is not set/);
        assert.match(r.stderr, /export PULUMI_CONFIG_PASSPHRASE=/);
        assert.doesNotMatch(r.stderr, /fake pulumi ran/);
        assert.ok(!fs.existsSync(path.join(dir, ".kamal")), "the CLI wrote .kamal/");
    });

    it("destroy of a destination never deployed: nothing to do, exit 0", function () {
        const r = cli(["destroy"], { cwd: project("minimal"), env: { PULUMI_CLI_DIR: fakePulumiDir() } });
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stderr, /nothing to destroy: no deployed stack "default" for hello/);
    });
});

describe("cli: project and workspace", function () {
    it("the project root is the directory holding config/deploy.yml", function () {
        const dir = project("minimal");
        fs.mkdirSync(path.join(dir, "lib/deep"), { recursive: true });
        assert.deepEqual(findProject(path.join(dir, "lib/deep")), { root: dir, file: path.join(dir, "config/deploy.yml") });
        assert.deepEqual(findProject(os.tmpdir(), path.join(dir, "config/deploy.yml")), { root: dir, file: path.join(dir, "config/deploy.yml") });
        assert.throws(() => findProject(os.tmpdir(), "missing.yml"), UsageError);
    });

    it("the workspace resolves @pulumi/pulumi and pulumi-kamal/provider for the provider process, and is rebuilt idempotently", function () {
        const state = fs.mkdtempSync(path.join(os.tmpdir(), "pk-state-"));
        const ws = prepareWorkspace(state);
        assert.equal(ws, path.join(state, "workspace"));
        assert.equal(prepareWorkspace(state), ws);
        // As the provider stub and the dynamic-provider launcher resolve them.
        const from = createRequire(path.join(ws, "package.json"));
        assert.equal(fs.realpathSync(from.resolve("pulumi-kamal/provider")), fs.realpathSync(path.join(REPO, "dist/provider/index.js")));
        assert.equal(fs.realpathSync(from.resolve("@pulumi/pulumi")), fs.realpathSync(require.resolve("@pulumi/pulumi")));
        assert.ok(fs.existsSync(path.join(ws, "node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js")));
        assert.equal(JSON.parse(fs.readFileSync(path.join(ws, "package.json"), "utf8")).private, true);
    });
});

describe("KamalApp.fromDeployYml", function () {
    before(async function () {
        await pulumi.runtime.setMocks({ newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: () => ({}) }, "project", "stack", false);
    });

    it("builds the app from config/deploy.yml (and the destination's file)", function () {
        const app = KamalApp.fromDeployYml("hello", { cwd: path.join(FIXTURES, "minimal"), env: { PATH: process.env.PATH } });
        assert.equal(app.config.service, "hello");
        assert.deepEqual(Object.keys(app.roles), ["web"]);
        assert.deepEqual(app.config.roles.web.hosts, ["192.0.2.10"]);
        const staging = KamalApp.fromDeployYml("shop", { cwd: path.join(FIXTURES, "destinations"), destination: "staging", env: { PATH: process.env.PATH } });
        assert.equal(staging.config.destination, "staging");
        assert.deepEqual(staging.config.roles.web.hosts, ["10.1.0.1"]);
        assert.equal(staging.config.env?.clear?.RAILS_ENV, "staging");
    });

    it("throws the loader's KamalConfigError before creating anything", function () {
        assert.throws(
            () => KamalApp.fromDeployYml("shop", { cwd: path.join(FIXTURES, "broken-unknown-keys"), env: {} }),
            (e: unknown) => e instanceof KamalConfigError && /config\/deploy\.yml:5: servers\.web\.hsts: unknown key/.test((e as Error).message),
        );
    });

    it("loadDeployConfig is exported from the package root", function () {
        assert.equal(typeof root.loadDeployConfig, "function");
        assert.equal(root.loadDeployConfig({ cwd: path.join(FIXTURES, "minimal"), env: {} }).args.service, "hello");
    });
});
