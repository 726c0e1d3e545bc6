/**
 * Issue 11 section 4 (provider side): `refresh` sees what really serves, and
 * the next `up` heals it. Each fault is made by hand on a real test host.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { KamalApp } from "../../index";
import { get, onHost, testbed, testStack, TestStack } from "./harness";

describe("drift: refresh reports what really serves, up heals it", function () {
    const tb = testbed();
    const h1 = tb.hosts[0];
    let s: TestStack;
    const ENV_FILE = ".kamal/apps/kdrift/env/roles/web.env";

    const program = async () => {
        new KamalApp("kdrift", {
            service: "kdrift",
            image: `${tb.appImage}:v1`,
            roles: { web: { hosts: [h1] } },
            ssh: { user: tb.user, privateKey: pulumi.secret(fs.readFileSync(tb.keyPath, "utf8")), knownHosts: tb.knownHosts },
            registry: tb.registryUser ? { server: tb.registry, username: tb.registryUser, password: pulumi.secret(tb.registryPassword!) } : undefined,
            env: { secret: { TOKEN: pulumi.secret("drift-secret") } },
            deployTimeout: 20, drainTimeout: 2,
        });
    };
    const version = async () => (await get(`http://${h1}/version`).catch(() => ({ status: 0, body: "down" }))).body.trim();
    const refresh = async () => (await s.stack.refresh({ color: "never", onOutput: (o) => s.output.push(o) })).stdout;
    const changes = (r: { summary: any }) => Object.entries(r.summary.resourceChanges ?? {}).filter(([op]) => op !== "same");

    before(async function () {
        s = await testStack("kdrift", program);
        await s.up();
        assert.equal(await version(), "v1");
    });

    after(async function () {
        onHost(tb, h1, "docker rm -f kdrift-spare >/dev/null 2>&1; docker start kamal-proxy >/dev/null 2>&1; true");
        if (process.env.E2E_KEEP) return;
        await s?.destroy().catch(() => undefined);
    });

    it("a clean host: refresh reports nothing, up changes nothing", async function () {
        assert.doesNotMatch(await refresh(), /drift:/);
        assert.deepEqual(changes(await s.up()), []);
    });

    it("container removed by hand: refresh drops it, up boots it again", async function () {
        onHost(tb, h1, "docker rm -f kdrift-web-v1");
        assert.match(await refresh(), /container kdrift-web-v1 is gone/);
        await s.up();
        assert.equal(await version(), "v1");
        assert.match(onHost(tb, h1, "docker ps --filter name=kdrift-web-v1 --format '{{.State}}'"), /running/);
    });

    it("container stopped: reported, started again by up", async function () {
        onHost(tb, h1, "docker stop kdrift-web-v1");
        assert.match(await refresh(), /container kdrift-web-v1 is exited/);
        await s.up();
        assert.equal(await version(), "v1");
    });

    it("route pointing at another target, then missing: reported, switched back by up", async function () {
        onHost(tb, h1, `docker run -d --name kdrift-spare --network kamal ${tb.appImage}:v3 && sleep 1 && docker exec kamal-proxy kamal-proxy deploy kdrift-web --target kdrift-spare:80 --deploy-timeout 20s`);
        assert.equal(await version(), "v3");
        assert.match(await refresh(), /kamal-proxy routes kdrift-web to kdrift-spare:80, not kdrift-web-v1/);
        await s.up();
        assert.equal(await version(), "v1");

        onHost(tb, h1, "docker exec kamal-proxy kamal-proxy remove kdrift-web");
        assert.match(await refresh(), /kamal-proxy has no route kdrift-web/);
        await s.up();
        assert.equal(await version(), "v1");
    });

    it("kamal-proxy stopped: reported, booted again by up", async function () {
        onHost(tb, h1, "docker stop kamal-proxy");
        const out = await refresh();
        assert.match(out, /kamal-proxy is exited/);
        assert.match(out, /kamal-proxy is not running, so kdrift-web serves nothing/);
        await s.up();
        assert.equal(await version(), "v1");
    });

    it("env file edited, then deleted: reported, rewritten by up", async function () {
        const original = onHost(tb, h1, `cat ${ENV_FILE}`);
        onHost(tb, h1, `echo INJECTED=1 >> ${ENV_FILE}`);
        assert.match(await refresh(), new RegExp(`env file ${ENV_FILE} was changed`));
        await s.up();
        assert.equal(onHost(tb, h1, `cat ${ENV_FILE}`), original);

        onHost(tb, h1, `rm ${ENV_FILE}`);
        assert.match(await refresh(), new RegExp(`env file ${ENV_FILE} is missing`));
        await s.up();
        assert.equal(onHost(tb, h1, `cat ${ENV_FILE}`), original);
        assert.deepEqual(changes(await s.up()), []);
    });
});
