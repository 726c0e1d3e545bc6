/**
 * The local transport: the demo as `npm run demo` deploys it (web + worker
 * behind kamal-proxy, web's hook before traffic) on this machine's own Docker
 * engine; only the port differs.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { DEMO_DEFAULTS, demoProgram } from "../../examples/demo/program";
import { get, testStack, TestStack } from "./harness";

const PORT = 18080;
const docker = (...args: string[]) => execFileSync("docker", args, { encoding: "utf8" });

describe("the demo on the local Docker engine (hosts: [localhost])", function () {
    let s: TestStack;

    before(async function () {
        s = await testStack("local-demo", demoProgram({ ...DEMO_DEFAULTS, httpPort: PORT }));
    });

    after(async function () {
        await s?.destroy().catch(() => undefined);
        docker("volume", "rm", "-f", "demo-data");
    });

    it("deploys web + worker behind kamal-proxy and runs web's hook in its container", async function () {
        const { outputs } = await s.up();
        assert.equal(outputs.url, `http://localhost:${PORT}/version`);
        assert.equal((await get(outputs.url)).body, "v1");
        assert.equal((await get(`http://localhost:${PORT}/env/API_TOKEN`)).body, "demo-token");
        assert.match(docker("exec", "demo-web-v1", "cat", "/tmp/hook-marker"), /v1 KAMAL_ROLE=web KAMAL_HOST=localhost/);
        assert.deepEqual(docker("ps", "--filter", "label=service=demo", "--format", "{{.Names}}").trim().split("\n").sort(), ["demo-web-v1", "demo-worker-v1"]);
    });

    it("destroy removes the demo's containers", async function () {
        await s.destroy();
        assert.equal(docker("ps", "--all", "--filter", "label=service=demo", "--format", "{{.Names}}").trim(), "");
    });
});
