/**
 * Issue 8: the Pulumi user's path. Each example in examples/ is copied out of
 * the repository, gets the package as `npm pack` publishes it, and is driven
 * with the Pulumi CLI as a user types it: stack init, config set [--secret],
 * preview --diff, up, refresh, destroy, stack rm. Real engine, the test bed's
 * language host, SSH hosts, kamal-proxy and registry.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { get, onHost, testbed } from "./harness";
import { UserMachine } from "./user";

const tb = testbed();
const [h1, h2] = tb.hosts;
const SECRET = `token-${process.pid}-${Date.now()}`;
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const docker = (...args: string[]) => execFileSync("docker", args, { encoding: "utf8" });
const containers = (host: string, service: string) =>
    onHost(tb, host, `docker ps --all --filter label=service=${service} --format '{{.Names}}'`).split("\n").filter(Boolean).sort();

/** The ED25519 host key pins for the hosts (what a cloud provider's outputs would give). */
function hostKeyPins(): Record<string, string> {
    const pins: Record<string, string> = {};
    for (const line of execFileSync("ssh-keygen", ["-lf", tb.knownHosts], { encoding: "utf8" }).split("\n")) {
        const m = /^\d+ (SHA256:\S+) (\S+) \(ED25519\)$/.exec(line.trim());
        if (m) pins[m[2]] = m[1];
    }
    return pins;
}

describe("examples/ as a Pulumi user runs them: packed package, Pulumi CLI", function () {
    let user: UserMachine;
    let stacks: { dir: string; stack: string }[] = [];

    before(async function () {
        // Builds the CLI and the language host if not cached yet.
        user = new UserMachine();
        await user.ok(user.root, ["login", `file://${user.stateDir}`]);
    });

    after(async function () {
        // Whatever a failed test left deployed goes, newest stack first.
        if (!user) return;
        for (const { dir, stack } of stacks.reverse()) {
            await user.pulumi(dir, ["destroy", "--yes", "--stack", stack]);
        }
        if (!process.env.E2E_KEEP) user.cleanup();
        docker("volume", "rm", "-f", "demo-data");
    });

    const init = async (dir: string, stack = "dev") => {
        await user.ok(dir, ["stack", "init", stack]);
        stacks.push({ dir, stack });
    };
    const removed = async (dir: string, stack = "dev") => {
        await user.ok(dir, ["destroy", "--yes"]);
        await user.ok(dir, ["stack", "rm", "--yes", stack]);
        stacks = stacks.filter((s) => !(s.dir === dir && s.stack === stack));
    };

    it("the package installs from its tarball, not as a link to the repository", function () {
        const dir = user.install("demo");
        const installed = path.join(dir, "node_modules/pulumi-kamal");
        assert.ok(!fs.lstatSync(installed).isSymbolicLink(), "pulumi-kamal is a symlink");
        assert.ok(fs.existsSync(path.join(installed, "dist/index.js")), "the tarball has no dist/index.js");
        assert.match(JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).dependencies["pulumi-kamal"], /^file:.*\.tgz$/);
    });

    it("demo: `pulumi up` deploys web + worker on the local engine, web's hook ran in its container; destroy removes them", async function () {
        const dir = path.join(user.root, "demo");
        await init(dir);
        await user.ok(dir, ["config", "set", "httpPort", "18080"]);
        await user.ok(dir, ["up", "--yes"]);
        const url = (await user.ok(dir, ["stack", "output", "url"])).trim();
        assert.equal(url, "http://localhost:18080/version");
        assert.equal((await get(url)).body, "v1");
        assert.equal((await get("http://localhost:18080/env/API_TOKEN")).body, "demo-token");
        assert.match(docker("exec", "demo-web-v1", "cat", "/tmp/hook-marker"), /v1 KAMAL_ROLE=web KAMAL_HOST=localhost/);
        // By role too: the demo relabels the local test image (service=demo), which other tests also run on this engine.
        assert.deepEqual(docker("ps", "--filter", "label=service=demo", "--filter", "label=role", "--format", "{{.Names}}").trim().split("\n").sort(), ["demo-web-v1", "demo-worker-v1"]);
        await removed(dir);
        assert.equal(docker("ps", "--all", "--filter", "label=service=demo", "--filter", "label=role", "--format", "{{.Names}}").trim(), "");
    });

    describe("web-worker: hosts and SSH key from the infra stack, secrets from stack config", function () {
        let app: string;
        let infra: string;

        it("the infra stack publishes the hosts, and the SSH key as a secret", async function () {
            app = user.install("web-worker");
            infra = path.join(app, "infra");
            await init(infra);
            await user.ok(infra, ["config", "set", "webHost", h1]);
            await user.ok(infra, ["config", "set", "workerHost", h2]);
            for (const [host, pin] of Object.entries(hostKeyPins())) {
                await user.ok(infra, ["config", "set", "--path", `hostKeys["${host}"]`, pin]);
            }
            await user.ok(infra, ["config", "set", "sshUser", tb.user]);
            await user.ok(infra, ["config", "set", "--secret", "sshPrivateKey"], fs.readFileSync(tb.keyPath, "utf8"));
            await user.ok(infra, ["up", "--yes"]);
            assert.match(await user.ok(infra, ["stack", "output", "sshPrivateKey"]), /\[secret\]/);
        });

        it("preview --diff shows web's hook and the host it runs on", async function () {
            await init(app);
            await user.ok(app, ["config", "set", "infraStack", "organization/web-worker-infra/dev"]);
            await user.ok(app, ["config", "set", "image", `${tb.appImage}:v1`]);
            await user.ok(app, ["config", "set", "registryServer", tb.registry]);
            await user.ok(app, ["config", "set", "registryUser", tb.registryUser ?? "unused"]);
            await user.ok(app, ["config", "set", "--secret", "registryPassword", tb.registryPassword ?? "unused"]);
            await user.ok(app, ["config", "set", "--secret", "apiToken", SECRET]);
            const preview = await user.ok(app, ["preview", "--diff"]);
            assert.match(preview, /\+ pulumi-nodejs:dynamic\/kamal:RoleHook: \(create\)\n\s+\[urn=\S+::web-worker-web-post-app-boot\]/);
            assert.match(preview, /command\s*: "\/app\/bin\/migrate"/);
            assert.match(preview, new RegExp(`runsOn\\s*: \\[\\s*\\[0\\]: "${esc(h1)}"\\s*\\]`));
            assert.ok(!preview.includes(SECRET), "the app secret shows in the preview");
        });

        it("up serves web through kamal-proxy; the secrets reach the app and stay out of the state", async function () {
            await user.ok(app, ["up", "--yes"]);
            assert.equal((await get(`http://${h1}/version`)).body, "v1");
            assert.equal((await get(`http://${h1}/env/API_TOKEN`)).body, SECRET);
            assert.deepEqual(containers(h1, "web-worker"), ["web-worker-web-v1"]);
            assert.deepEqual(containers(h2, "web-worker"), ["web-worker-worker-v1"]);
            assert.match(onHost(tb, h1, "docker exec web-worker-web-v1 cat /tmp/hook-marker"), new RegExp(`v1 KAMAL_ROLE=web KAMAL_HOST=${esc(h1)}`));
            const state = user.rawState();
            for (const secret of [SECRET, "PRIVATE KEY", tb.registryPassword].filter(Boolean) as string[]) {
                assert.ok(!state.includes(secret), `${secret.slice(0, 12)}... is in the state as plaintext`);
            }
        });

        it("a changed hook shows in preview --diff, and up runs it again in the serving container", async function () {
            const index = path.join(app, "index.ts");
            fs.writeFileSync(index, fs.readFileSync(index, "utf8").replace(`command: "/app/bin/migrate"`, `command: "/app/bin/migrate 2"`));
            const preview = await user.ok(app, ["preview", "--diff"]);
            assert.match(preview, /\+-pulumi-nodejs:dynamic\/kamal:RoleHook: \(replace\)/);
            assert.match(preview, /~ command\s*: "\/app\/bin\/migrate" => "\/app\/bin\/migrate 2"/);
            assert.match(preview, new RegExp(`runsOn\\s*: \\[\\s*\\[0\\]: "${esc(h1)}"`));
            await user.ok(app, ["up", "--yes"]);
            assert.equal(onHost(tb, h1, "docker exec web-worker-web-v1 cat /data/schema").trim(), "2");
            assert.equal(onHost(tb, h1, "docker exec web-worker-web-v1 cat /data/migrations.log").trim().split("\n").length, 2);
            assert.deepEqual(containers(h1, "web-worker"), ["web-worker-web-v1"], "the hook re-ran without a new container");
        });

        it("refresh finds no changes; destroy and stack rm remove the app, then the infra stack", async function () {
            await user.ok(app, ["refresh", "--yes", "--expect-no-changes"]);
            await removed(app);
            assert.deepEqual(containers(h1, "web-worker"), []);
            assert.deepEqual(containers(h2, "web-worker"), []);
            await removed(infra);
            const stacks = await user.ok(app, ["stack", "ls", "--all"]);
            assert.doesNotMatch(stacks, /web-worker/);
        });
    });

    describe("from-deploy-yml: KamalApp.fromDeployYml, image tag from stack config", function () {
        let dir: string;

        before(function () {
            // The Kamal project's ERB and .kamal/secrets read these, as from a user's shell.
            Object.assign(user.env, {
                WEB_HOST: h2, REGISTRY_SERVER: tb.registry, REGISTRY_USER: tb.registryUser ?? "unused",
                SSH_USER: tb.user, SSH_KEY_FILE: tb.keyPath, SSH_KNOWN_HOSTS: tb.knownHosts,
                KAMAL_REGISTRY_PASSWORD: tb.registryPassword ?? "unused", API_TOKEN: SECRET,
            });
        });

        it("up deploys deploy.yml at the configured tag and runs its hook; a new tag is the next deploy", async function () {
            dir = user.install("from-deploy-yml");
            await init(dir);
            await user.ok(dir, ["config", "set", "imageTag", "v1"]);
            const preview = await user.ok(dir, ["preview", "--diff"]);
            assert.match(preview, /\[urn=\S+::hello-yml-web-post-app-boot\]/);
            assert.match(preview, new RegExp(`runsOn\\s*: \\[\\s*\\[0\\]: "${esc(h2)}"`));
            const up = await user.ok(dir, ["up", "--yes"]);
            assert.match(up, new RegExp(`\\[web@${esc(h2)} post-app-boot\\] migrated to schema 1`));
            assert.equal((await get(`http://${h2}/version`)).body, "v1");
            assert.equal((await get(`http://${h2}/env/API_TOKEN`)).body, SECRET);

            await user.ok(dir, ["config", "set", "imageTag", "v3"]);
            await user.ok(dir, ["up", "--yes"]);
            assert.equal((await get(`http://${h2}/version`)).body, "v3");
            assert.ok(!user.rawState().includes(SECRET), "the secret is in the state as plaintext");
        });

        it("refresh finds no changes; destroy and stack rm remove it", async function () {
            await user.ok(dir, ["refresh", "--yes", "--expect-no-changes"]);
            await removed(dir);
            assert.deepEqual(containers(h2, "hello-yml"), []);
        });
    });
});
