/**
 * Issue: Kamal users deploy their config/deploy.yml, with role hooks, without
 * writing a Pulumi program: `npx pulumi-kamal deploy` (the CLI as a child
 * process, state in the project), then the same file through
 * `KamalApp.fromDeployYml` in a Pulumi program, with the same result.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { KamalApp } from "../../index";
import { deployYmlEnv, SharedDb, testbed } from "./fixture";
import { get, onHost, REPO, testStack, TestStack } from "./harness";
import { capture, CliResult, explain } from "./user";

const tb = testbed();
const hosts = tb.hosts.slice(0, 2);
const [h1] = hosts;
const SERVICE = "shop-yml";
const TOKEN = `token-${process.pid}-${Date.now()}`;
const PASSPHRASE = "e2e-cli-passphrase";

/** Every file under `dir` (symlinks, i.e. the workspace's node_modules, not followed). */
function rawFiles(dir: string): string {
    const out: string[] = [];
    const walk = (d: string) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
            const p = path.join(d, e.name);
            if (e.isDirectory()) walk(p);
            else if (e.isFile()) out.push(fs.readFileSync(p, "utf8"));
        }
    };
    walk(dir);
    return out.join("\n");
}

/** What the deploy left on a host: each container's name, labels, env and command. */
function hostSnapshot(host: string): string[] {
    return onHost(tb, host, `docker ps --filter label=service=${SERVICE} --format '{{.Names}}' | sort | xargs -r docker inspect --format '{{.Name}} {{json .Config.Labels}} {{json .Config.Env}} {{json .Config.Cmd}}'`)
        .split("\n")
        .filter(Boolean)
        // Env order is Docker's; compare as sets.
        .map((line) => line.replace(/(\[[^\]]*\])/, (env) => JSON.stringify((JSON.parse(env) as string[]).sort())));
}

const containers = (host: string, all = false) =>
    onHost(tb, host, `docker ps ${all ? "--all" : ""} --filter label=service=${SERVICE} --format '{{.Names}} {{.Label "role"}}'`).split("\n").filter(Boolean).sort();

describe("deploy.yml with role hooks: the pulumi-kamal CLI, then KamalApp.fromDeployYml", function () {
    let db: SharedDb;
    let project: string;
    let cliDir: string;
    let stack: TestStack | undefined;
    let cliDeployed = false;
    const snapshots: Record<string, string[]> = {};

    /** The environment the deploy.yml's ERB and .kamal/secrets read. */
    const appEnv = (image = `${tb.appImage}:v2`) => deployYmlEnv(tb, db, TOKEN.slice("token-".length), image);

    /** `node dist/cli/main.js ARGS` in the project, as `npx pulumi-kamal ARGS` runs it. */
    const cli = (args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> => {
        const env: NodeJS.ProcessEnv = {
            ...process.env,
            ...appEnv(),
            PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
            PULUMI_HOME: path.join(project, ".pulumi-home"),
            // The Pulumi CLI found on PATH, as a user's would be.
            PATH: `${cliDir}${path.delimiter}${process.env.PATH}`,
            ...extraEnv,
        };
        delete env.PULUMI_CLI_DIR;
        return capture(process.execPath, [path.join(REPO, "dist/cli/main.js"), ...args], { cwd: project, env });
    };

    before(async function () {
        db = new SharedDb(tb, 5470);
        cliDir = execFileSync("bash", [path.join(REPO, "scripts/testbed/pulumi-cli.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
        project = fs.mkdtempSync(path.join(os.tmpdir(), "pk-kamal-project-"));
        fs.cpSync(path.join(REPO, "test/fixtures/e2e-app"), project, { recursive: true });
    });

    after(async function () {
        if (process.env.E2E_KEEP) return;
        if (cliDeployed) await cli(["destroy"]).catch(() => undefined);
        await stack?.destroy().catch((e) => console.error(`destroy deploy-yml: ${e.message}`));
        db?.remove();
        fs.rmSync(project, { recursive: true, force: true });
    });

    it("`pulumi-kamal deploy` boots web and worker from deploy.yml, runs web's hook with live output, keeps secrets out of the state", async function () {
        cliDeployed = true;
        const r = await cli(["deploy"]);
        assert.equal(r.code, 0, explain(r));
        // The hook's output, streamed as it ran, tagged with role and host.
        assert.match(r.stdout + r.stderr, new RegExp(`\\[web@${h1.replace(/\./g, "\\.")} post-app-boot\\] migrated to schema 2`), explain(r));
        // Pulumi's progress.
        assert.match(r.stdout, /RoleContainer\s+shop-yml-web-\S+\s+created/);

        for (const host of hosts) {
            assert.deepEqual(containers(host), [`${SERVICE}-web-v2 web`, `${SERVICE}-worker-v2 worker`]);
            assert.equal((await get(`http://${host}/version`)).body.trim(), "v2");
            // From .kamal/secrets' $(printf ...), through the 0600 env file, into the container.
            assert.equal((await get(`http://${host}/env/API_TOKEN`)).body.trim(), TOKEN);
            assert.match(onHost(tb, host, `docker inspect --format '{{json .Config.Env}}' ${SERVICE}-worker-v2`), new RegExp(`"API_TOKEN=${TOKEN}"`));
            snapshots[host] = hostSnapshot(host);
            assert.equal(snapshots[host].length, 2, snapshots[host].join("\n"));
            assert.match(snapshots[host][0], /"role":"web"/);
        }
        assert.equal(await db.schema(), "2");
        assert.equal((await db.migrations()).length, 1, "the hook ran once (runOn primary)");

        // The state lives in the project; secrets are encrypted there.
        const stateDir = path.join(project, ".kamal/pulumi-state");
        assert.ok(fs.existsSync(path.join(stateDir, ".pulumi/stacks", SERVICE, "default.json")), "no stack default of project shop-yml in .kamal/pulumi-state");
        const raw = rawFiles(stateDir);
        assert.ok(!raw.includes(TOKEN), "the secret is in the raw state files");
        assert.ok(!raw.includes(tb.registryPassword ?? "\u0000"), "the registry password is in the raw state files");
        assert.ok(!raw.includes("PRIVATE KEY"), "an SSH key is in the raw state files");
        assert.ok(!fs.existsSync(path.join(project, "Pulumi.yaml")), "the CLI wrote Pulumi.yaml into the project root");
    });

    it("`pulumi-kamal preview` shows Pulumi's diff of a new image and changes nothing", async function () {
        const r = await cli(["preview"], { PK_E2E_IMAGE: `${tb.appImage}:v3` });
        assert.equal(r.code, 0, explain(r));
        assert.match(r.stdout, /~ image\s*: "[^"]+:v2" => "[^"]+:v3"/, explain(r));
        for (const host of hosts) assert.deepEqual(hostSnapshot(host), snapshots[host]);
    });

    it("`pulumi-kamal destroy` removes the app and its state", async function () {
        const r = await cli(["destroy"]);
        assert.equal(r.code, 0, explain(r));
        cliDeployed = false;
        for (const host of hosts) assert.deepEqual(containers(host, true), [], `${host} still has ${SERVICE} containers`);
        const again = await cli(["destroy"]);
        assert.equal(again.code, 0, explain(again));
        assert.match(again.stderr, /nothing to destroy/);
    });

    it("KamalApp.fromDeployYml deploys the same deploy.yml from a Pulumi program: the same containers, env and result", async function () {
        await db.setSchema(1);
        const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", ...appEnv() };
        stack = await testStack("deploy-yml", async () => {
            const app = KamalApp.fromDeployYml(SERVICE, { cwd: project, env });
            return { containers: pulumi.all(Object.values(app.roles).flatMap((r) => r.containers.map((c) => c.containerName))) };
        });
        const { outputs } = await stack.up();
        assert.deepEqual([...outputs.containers].sort(), [`${SERVICE}-web-v2`, `${SERVICE}-web-v2`, `${SERVICE}-worker-v2`, `${SERVICE}-worker-v2`]);
        assert.match(stack.output.join(""), new RegExp(`\\[web@${h1.replace(/\./g, "\\.")} post-app-boot\\] migrated to schema 2`));
        for (const host of hosts) {
            assert.deepEqual(hostSnapshot(host), snapshots[host], `${host}: containers differ from the CLI's deploy`);
            assert.equal((await get(`http://${host}/version`)).body.trim(), "v2");
            assert.equal((await get(`http://${host}/env/API_TOKEN`)).body.trim(), TOKEN);
        }
        assert.equal(await db.schema(), "2");
        assert.equal((await db.migrations()).length, 2, "the hook ran once more");
        assert.ok(!(await stack.exportState()).includes(TOKEN), "the secret is in the stack state as plaintext");

        await stack.destroy();
        stack = undefined;
        for (const host of hosts) assert.deepEqual(containers(host, true), [], `${host} still has ${SERVICE} containers`);
    });
});
