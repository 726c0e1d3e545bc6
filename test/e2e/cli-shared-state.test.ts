/**
 * Issue 8 (sharing state) and Issue 11 section 4 (deploy converges): two
 * checkouts of one Kamal project share a file:// backend through
 * `pulumi-kamal --backend`; the second refreshes, previews no change, and its
 * `deploy` (which refreshes first) brings back a container removed by hand,
 * which `deploy --no-refresh` does not.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { deployYmlEnv, SharedDb, testbed } from "./fixture";
import { get, onHost, REPO } from "./harness";
import { capture, CliResult, explain } from "./user";

const tb = testbed();
const hosts = tb.hosts.slice(0, 2);
const [h1] = hosts;
const SERVICE = "shop-shared";
const PASSPHRASE = "e2e-shared-passphrase";

describe("pulumi-kamal CLI: a team shares the state through --backend; deploy refreshes first", function () {
    let db: SharedDb;
    let shared: string;
    const checkouts: string[] = [];
    let deployed = false;

    /** `pulumi-kamal ARGS --backend file://SHARED` in one checkout. */
    const cli = (checkout: string, args: string[]): Promise<CliResult> =>
        capture(process.execPath, [path.join(REPO, "dist/cli/main.js"), ...args, "--backend", `file://${shared}`], {
            cwd: checkout,
            env: { ...process.env, ...deployYmlEnv(tb, db, "shared"), PULUMI_CONFIG_PASSPHRASE: PASSPHRASE, PULUMI_HOME: path.join(checkout, ".pulumi-home") },
        });
    const running = (host: string) =>
        onHost(tb, host, `docker ps --filter label=service=${SERVICE} --format '{{.Names}}'`).split("\n").filter(Boolean).sort();

    before(function () {
        db = new SharedDb(tb, 5481);
        shared = fs.mkdtempSync(path.join(os.tmpdir(), "pk-shared-state-"));
        for (let i = 0; i < 2; i++) {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), `pk-checkout${i}-`));
            fs.cpSync(path.join(REPO, "test/fixtures/e2e-app"), dir, { recursive: true });
            const file = path.join(dir, "config/deploy.yml");
            fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace(/^service: shop-yml$/m, `service: ${SERVICE}`));
            checkouts.push(dir);
        }
    });

    after(async function () {
        if (deployed && !process.env.E2E_KEEP) await cli(checkouts[1], ["destroy"]).catch(() => undefined);
        db?.remove();
        for (const dir of [...checkouts, shared]) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("deploys from the first checkout into the shared backend, not into the project", async function () {
        deployed = true;
        const r = await cli(checkouts[0], ["deploy"]);
        assert.equal(r.code, 0, explain(r));
        // The stack's outputs: KamalApp's version and containers per host.
        assert.match(r.stdout, /version\s*:\s*"v2"/, explain(r));
        assert.match(r.stdout, new RegExp(`${hosts[1].replace(/\./g, "\\.")}\\s*:\\s*"${SERVICE}-worker-v2"`), explain(r));
        assert.ok(fs.existsSync(path.join(shared, ".pulumi/stacks", SERVICE, "default.json")), "the stack is in the shared backend");
        assert.ok(!fs.existsSync(path.join(checkouts[0], ".kamal/pulumi-state/.pulumi/stacks")), "no stack in the project's own state dir");
        for (const host of hosts) {
            assert.deepEqual(running(host), [`${SERVICE}-web-v2`, `${SERVICE}-worker-v2`]);
            assert.equal((await get(`http://${host}/version`)).body.trim(), "v2");
        }
    });

    it("the second checkout (no local state) refreshes and previews no change", async function () {
        const refresh = await cli(checkouts[1], ["refresh"]);
        assert.equal(refresh.code, 0, explain(refresh));
        const preview = await cli(checkouts[1], ["preview"]);
        assert.equal(preview.code, 0, explain(preview));
        assert.doesNotMatch(preview.stdout, /to (create|update|replace|delete)/, explain(preview));
    });

    it("a container removed by hand: deploy --no-refresh leaves it gone, deploy (refreshing first) boots it again", async function () {
        onHost(tb, h1, `docker rm -f ${SERVICE}-web-v2`);
        const stale = await cli(checkouts[1], ["deploy", "--no-refresh"]);
        assert.equal(stale.code, 0, explain(stale));
        assert.deepEqual(running(h1), [`${SERVICE}-worker-v2`]);

        const healed = await cli(checkouts[1], ["deploy"]);
        assert.equal(healed.code, 0, explain(healed));
        assert.deepEqual(running(h1), [`${SERVICE}-web-v2`, `${SERVICE}-worker-v2`]);
        assert.equal((await get(`http://${h1}/version`)).body.trim(), "v2");
    });
});
