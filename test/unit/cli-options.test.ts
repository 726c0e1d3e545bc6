/** The CLI's --version, refresh, --no-refresh and --backend, without hosts. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { HELP, packageVersion, parseCli } from "../../cli/main";
import { operationOptions, stateBackend } from "../../cli/run";

const REPO = path.resolve(__dirname, "../../..");
const MAIN = path.join(REPO, "dist/cli/main.js");

function cli(args: string[], cwd: string, env: Record<string, string> = {}) {
    const r = spawnSync(process.execPath, [MAIN, ...args], {
        cwd, env: { PATH: "/usr/bin:/bin", HOME: os.tmpdir(), ...env }, encoding: "utf8", timeout: 60_000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A copy of the minimal Kamal project, and a `pulumi` that must never run. */
function project(): { dir: string; fakePulumi: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pk-cliopt-"));
    fs.cpSync(path.join(REPO, "test/fixtures/deploy-yml/minimal"), dir, { recursive: true });
    const fakePulumi = fs.mkdtempSync(path.join(os.tmpdir(), "pk-fake-pulumi-"));
    fs.writeFileSync(path.join(fakePulumi, "pulumi"), "#!/bin/sh\necho fake pulumi ran >&2\nexit 99\n", { mode: 0o755 });
    return { dir, fakePulumi };
}

describe("cli: --version", function () {
    this.timeout(60_000);
    it("prints the package's version and exits 0", function () {
        const version = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")).version;
        assert.equal(packageVersion(), version);
        assert.deepEqual(parseCli(["--version"]), { version: true });
        const r = cli(["--version"], os.tmpdir());
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, `pulumi-kamal ${version}\n`);
    });
});

describe("cli: refresh and deploy's refresh", function () {
    this.timeout(60_000);
    it("parses refresh, and --no-refresh for deploy only", function () {
        assert.deepEqual(parseCli(["refresh", "-d", "staging"]), { command: "refresh", destination: "staging" });
        assert.deepEqual(parseCli(["deploy", "--no-refresh"]), { command: "deploy", refresh: false });
        assert.match((parseCli(["preview", "--no-refresh"]) as { error: string }).error, /--no-refresh applies to deploy only/);
    });

    it("deploy refreshes first unless --no-refresh; the other commands pass their own options", function () {
        assert.deepEqual(operationOptions({ command: "deploy" }), { refresh: true });
        assert.deepEqual(operationOptions({ command: "deploy", refresh: false }), { refresh: false });
        assert.deepEqual(operationOptions({ command: "preview" }), { diff: true });
        assert.deepEqual(operationOptions({ command: "refresh" }), {});
        assert.deepEqual(operationOptions({ command: "destroy" }), { remove: true });
    });

    it("--help documents refresh, --no-refresh, --backend and --version", function () {
        for (const text of [/^ {2}refresh +update the state from what really runs/m, /--no-refresh/, /--backend URL/, /--version/, /PULUMI_BACKEND_URL/]) {
            assert.match(HELP, text);
        }
    });

    it("refresh of a stack never deployed: nothing to do, exit 0, the engine never runs", function () {
        const { dir, fakePulumi } = project();
        const r = cli(["refresh"], dir, { PULUMI_CLI_DIR: fakePulumi });
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stderr, /nothing to refresh: no deployed stack "default" for hello in \.kamal\/pulumi-state/);
        assert.doesNotMatch(r.stderr, /fake pulumi ran/);
    });
});

describe("cli: --backend and PULUMI_BACKEND_URL", function () {
    this.timeout(60_000);
    const own = "/p/.kamal/pulumi-state";

    it("--backend wins over PULUMI_BACKEND_URL, which wins over the project's directory", function () {
        assert.deepEqual(stateBackend({}, {}, own), { url: `file://${own}`, dir: own });
        assert.deepEqual(stateBackend({}, { PULUMI_BACKEND_URL: "s3://state?region=eu-west-1" }, own), { url: "s3://state?region=eu-west-1" });
        assert.deepEqual(stateBackend({ backend: "file:///shared/state" }, { PULUMI_BACKEND_URL: "s3://state" }, own), { url: "file:///shared/state", dir: "/shared/state" });
        assert.deepEqual(stateBackend({ backend: "file://~/state" }, { HOME: "/home/me" }, own), { url: "file://~/state", dir: "/home/me/state" });
        assert.deepEqual(stateBackend({}, { PULUMI_BACKEND_URL: "" }, own), { url: `file://${own}`, dir: own });
    });

    it("parses --backend URL and rejects what is not a URL, naming the value and the fix", function () {
        assert.deepEqual(parseCli(["deploy", "--backend", "s3://bucket/prefix"]), { command: "deploy", backend: "s3://bucket/prefix" });
        const error = (parseCli(["deploy", "--backend", "/shared/state"]) as { error: string }).error;
        assert.match(error, /--backend "\/shared\/state" is not a backend URL: use file:\/\/\/path/);
    });

    it("a file:// backend holds the state: a never-deployed stack there is reported with its URL, nothing written to it", function () {
        const { dir, fakePulumi } = project();
        const shared = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pk-shared-")), "state");
        for (const r of [
            cli(["destroy", "--backend", `file://${shared}`], dir, { PULUMI_CLI_DIR: fakePulumi }),
            cli(["refresh"], dir, { PULUMI_CLI_DIR: fakePulumi, PULUMI_BACKEND_URL: `file://${shared}` }),
        ]) {
            assert.equal(r.code, 0, r.stderr);
            assert.match(r.stderr, new RegExp(`nothing to (destroy|refresh): no deployed stack "default" for hello in file://${shared}`));
        }
        assert.equal(fs.existsSync(shared), false);
    });

    it("a stack present in the file:// backend is found there (here: asks for the passphrase, none set: exit 2)", function () {
        const { dir, fakePulumi } = project();
        const shared = fs.mkdtempSync(path.join(os.tmpdir(), "pk-shared-"));
        fs.mkdirSync(path.join(shared, ".pulumi/stacks/hello"), { recursive: true });
        fs.writeFileSync(path.join(shared, ".pulumi/stacks/hello/default.json"), "{}");
        const r = cli(["destroy", "--backend", `file://${shared}`], dir, { PULUMI_CLI_DIR: fakePulumi });
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, /PULUMI_CONFIG_PASSPHRASE is not set/);
    });
});
