/**
 * ProxyContainer's provider against fake hosts: kamal-proxy started, adopted or
 * restarted, and removed only when it is ours and idle.
 */
import assert from "node:assert/strict";
import * as docker from "../../provider/commands/docker";
import * as proxy from "../../provider/commands/proxy";
import { ProxyContainerOutputs, proxyContainerProvider } from "../../provider/resources/proxy-container";
import { connection, inspectOutput } from "./fakes";
import { dockerHost, hex, inspecting, PROXY_CLI, use, withFakeHosts } from "./provider-hosts";

describe("proxyContainerProvider", () => {
    withFakeHosts();

    const inputs = { connection: connection("h1"), image: "basecamp/kamal-proxy:v0.9.2", httpPort: 80, httpsPort: 443 };

    it("starts kamal-proxy when absent and waits for it to answer", async () => {
        const h1 = dockerHost("h1").on([...PROXY_CLI, "list"], { code: 1, stderr: "not ready" }, 2);
        use(h1);
        const { id, outs } = await proxyContainerProvider.create(inputs);
        assert.equal(id, "h1/kamal-proxy");
        assert.equal(outs.created, true);
        assert.deepEqual(h1.calls.map((c) => c.argv), [
            proxy.ensureAppsConfigDir(),
            docker.networkInspect(),
            docker.inspectContainer("kamal-proxy"),
            docker.imageInspect("basecamp/kamal-proxy:v0.9.2"),
            proxy.runProxy({ image: "basecamp/kamal-proxy:v0.9.2", httpPort: 80, httpsPort: 443, appsConfigDir: "/home/deploy/.kamal/proxy/apps-config" }),
            proxy.list(), proxy.list(), proxy.list(),
            proxy.inspectProxy(),
        ]);
    });

    it("adopts a running one, restarts a stopped one; neither counts as created", async () => {
        const running = dockerHost("h1").on(inspecting("kamal-proxy"), { stdout: inspectOutput(hex("e"), "kamal-proxy", { running: true }) });
        use(running);
        assert.equal((await proxyContainerProvider.create(inputs)).outs.created, false);
        assert.equal(running.find(["docker", "run"]).length + running.find(["docker", "start"]).length, 0);

        const stopped = dockerHost("h1").on(inspecting("kamal-proxy"), { stdout: inspectOutput(hex("e"), "kamal-proxy", { running: false }) });
        use(stopped);
        assert.equal((await proxyContainerProvider.create(inputs)).outs.created, false);
        assert.deepEqual(stopped.find(["docker", "start"]).map((c) => c.argv), [docker.start(hex("e"))]);
    });

    it("delete removes only a proxy it created that serves nothing", async () => {
        const withService = dockerHost("h1")
            .on(inspecting("kamal-proxy"), { stdout: inspectOutput(hex("e"), "kamal-proxy", { running: true }) })
            .on([...PROXY_CLI, "list"], { stdout: "Service Host Path Target State TLS\nother-web  x.com  /  abc:80  running  no\n" });
        use(withService);
        await proxyContainerProvider.delete!("h1/kamal-proxy", { ...inputs, created: true } satisfies ProxyContainerOutputs);
        assert.equal(withService.find(["docker", "rm"]).length, 0);

        const empty = dockerHost("h1").on(inspecting("kamal-proxy"), { stdout: inspectOutput(hex("e"), "kamal-proxy", { running: true }) });
        use(empty);
        await proxyContainerProvider.delete!("h1/kamal-proxy", { ...inputs, created: true });
        assert.deepEqual(empty.find(["docker", "rm"]).map((c) => c.argv), [docker.remove("kamal-proxy")]);

        const adopted = dockerHost("h1");
        use(adopted);
        await proxyContainerProvider.delete!("h1/kamal-proxy", { ...inputs, created: false });
        assert.equal(adopted.calls.length, 0);
    });
});
