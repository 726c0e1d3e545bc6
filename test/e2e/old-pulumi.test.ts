/**
 * Issue 8: a project on an older @pulumi/pulumi 3.x (the floor of our range)
 * installs the packed tarball, keeps one copy of the SDK, and deploys with
 * it: the package's own CLI, the engine program and the dynamic-provider
 * process all run on that copy.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { consumerProject, copiesOf } from "../package/pack";
import { deployYmlEnv, SharedDb, testbed } from "./fixture";
import { get, onHost, REPO } from "./harness";
import { capture, CliResult, explain } from "./user";

const tb = testbed();
const hosts = tb.hosts.slice(0, 2);
const SERVICE = "shop-oldsdk";

describe("a project on the oldest @pulumi/pulumi of the range deploys with the packed package", function () {
    const floor = (JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")).dependencies["@pulumi/pulumi"] as string).replace(/^\^/, "");
    let db: SharedDb;
    let consumer: string;
    let app: string;
    let deployed = false;

    const cli = (args: string[]): Promise<CliResult> =>
        capture(process.execPath, [path.join(consumer, "node_modules/pulumi-kamal/dist/cli/main.js"), ...args], {
            cwd: app,
            env: { ...process.env, ...deployYmlEnv(tb, db, "oldsdk"), PULUMI_CONFIG_PASSPHRASE: "e2e-old-sdk", PULUMI_HOME: path.join(app, ".pulumi-home") },
        });

    before(function () {
        db = new SharedDb(tb, 5482);
        consumer = consumerProject([], [`@pulumi/pulumi@${floor}`]);
        app = path.join(consumer, "app");
        fs.cpSync(path.join(REPO, "test/fixtures/e2e-app"), app, { recursive: true });
        const file = path.join(app, "config/deploy.yml");
        fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace(/^service: shop-yml$/m, `service: ${SERVICE}`));
    });

    after(async function () {
        if (deployed && !process.env.E2E_KEEP) {
            const r = await cli(["destroy"]).catch((e) => ({ code: -1, stdout: "", stderr: String(e) }));
            if (r.code !== 0) console.error(`destroy ${SERVICE}: ${explain(r)}`);
        }
        db?.remove();
        if (consumer) fs.rmSync(consumer, { recursive: true, force: true });
    });

    it(`has one @pulumi/pulumi, the project's own`, function () {
        const copies = copiesOf(consumer, "@pulumi/pulumi");
        assert.equal(copies.length, 1, copies.join("\n"));
        assert.equal(JSON.parse(fs.readFileSync(path.join(copies[0], "package.json"), "utf8")).version, floor);
    });

    it("deploys web and worker, the engine program and the providers on that copy", async function () {
        deployed = true;
        const r = await cli(["deploy"]);
        assert.equal(r.code, 0, explain(r));
        // The workspace the engine and the provider process run in resolves the project's copy.
        const linked = path.join(app, ".kamal/pulumi-state/workspace/node_modules/@pulumi/pulumi/package.json");
        assert.equal(JSON.parse(fs.readFileSync(linked, "utf8")).version, floor);
        for (const host of hosts) {
            const running = onHost(tb, host, `docker ps --filter label=service=${SERVICE} --format '{{.Names}}'`).split("\n").filter(Boolean).sort();
            assert.deepEqual(running, [`${SERVICE}-web-v2`, `${SERVICE}-worker-v2`]);
            assert.equal((await get(`http://${host}/version`)).body.trim(), "v2");
        }
    });
});
