/** The stub stored in state: it loads the installed provider by kind at run time, old kind names included. */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import * as path from "node:path";
import { providerStub } from "../../provider/stub";
import { connection } from "./fakes";
import { NEW_ID, OLD_ID } from "./provider-hosts";

const olds = { connection: connection("h1"), service: "app", role: "web", containerId: NEW_ID, containerName: "n", retainContainers: 5, retired: [], switchedAt: 1 };

describe("providerStub (what state stores)", () => {
    it("loads the installed package's provider by kind at run time and delegates to it", async () => {
        // Resolves `pulumi-kamal/provider` from the cwd: this repository, through its own package exports.
        const stub = providerStub("TrafficSwitch");
        assert.deepEqual(await stub.diff!("x", olds, { ...olds, containerId: OLD_ID }), { changes: true });
        assert.deepEqual(await stub.diff!("x", olds, olds), { changes: false });
        // providers without check: the stub passes inputs through
        assert.deepEqual(await stub.check!({}, { a: 1 }), { inputs: { a: 1 } });
    });

    it("the kind names stubs in older states ask for (Container, Proxy, Release, Hook) load the same providers", async () => {
        // What an old stub runs in the provider process: the installed package's providers, by its kind name.
        const installed = createRequire(path.join(process.cwd(), "package.json"))("pulumi-kamal/provider").providers;
        const renamed = { Container: "RoleContainer", Proxy: "ProxyContainer", Release: "TrafficSwitch", Hook: "RoleHook" };
        for (const [old, now] of Object.entries(renamed)) {
            assert.ok(installed[now], now);
            assert.equal(installed[old], installed[now], `${old} is ${now}`);
        }
        assert.deepEqual(await installed.Release.diff("x", olds, { ...olds, containerId: OLD_ID }), { changes: true });
    });
});
