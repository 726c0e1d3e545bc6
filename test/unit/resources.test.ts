/**
 * The dynamic resources as state stores them: their type tokens and aliases,
 * and the provider stub serialized into every one (components/resources.ts).
 */
import assert from "node:assert/strict";
import { base, deploy, named, names, ofType, useMockEngine } from "./mock-engine";

describe("resources in state", function () {
    useMockEngine();

    it("resources renamed since 0.1 alias their former type, so an upgrade renames them in state and replaces nothing", async () => {
        await deploy("demo", base({ web: { hosts: ["h1"], hooks: { postAppBoot: "bin/migrate" } }, jobs: { hosts: ["h2"] } }));
        const aliasesOf = (type: string) => [...new Set(ofType(type).map((r) => JSON.stringify(r.aliases)))].map((a) => JSON.parse(a));
        // Same names and parents as before: only the type changed.
        assert.deepEqual(aliasesOf("ProxyContainer"), [["pulumi-nodejs:dynamic/kamal:KamalProxy"]]);
        assert.deepEqual(aliasesOf("RoleHook"), [["pulumi-nodejs:dynamic/kamal:PostAppBootHook"]]);
        assert.deepEqual(names("ProxyContainer"), ["demo-proxy-h1"]);
        assert.deepEqual(names("RoleHook"), ["demo-web-post-app-boot"]);
        // Their type tokens did not change: no alias.
        assert.deepEqual(aliasesOf("RoleContainer"), [[]]);
        assert.deepEqual(aliasesOf("TrafficSwitch"), [[]]);
    });

    describe("the serialized provider", () => {
        it("is the small stub that loads pulumi-kamal/provider by kind, the same for every resource of a kind", async () => {
            await deploy("demo", base({ web: { hosts: ["h1", "h2"], hooks: { postAppBoot: "bin/migrate" } } }));
            // One name per resource: the kind the stub loads is the type's own name.
            for (const [type, kind] of [["RoleContainer", "RoleContainer"], ["TrafficSwitch", "TrafficSwitch"], ["ProxyContainer", "ProxyContainer"], ["RoleHook", "RoleHook"]]) {
                const texts = new Set(ofType(type).map((r) => r.inputs.__provider));
                assert.equal(texts.size, 1, `${type}: one provider text`);
                const [text] = texts;
                assert.equal(typeof text, "string");
                assert.ok(text.length < 5000, `${type}: ${text.length} characters`);
                assert.ok(text.includes(`kind: "${kind}"`), `${type} loads ${kind}`);
                assert.ok(text.includes("pulumi-kamal/provider"));
                for (const implementation of ["docker", "kamal-proxy", "ssh", "NodeSSH", "spawn", "zod"]) {
                    assert.ok(!text.includes(implementation), `${type}'s serialized provider mentions ${implementation}`);
                }
            }
        });

        it("does not change with the app's config", async () => {
            await deploy("one", base({ web: { hosts: ["h1"] } }));
            const first = named("RoleContainer", "one-web-h1").inputs.__provider;
            await deploy("two", base({ web: { hosts: ["h9"], cmd: "bin/other" } }, { service: "other", image: "x/y:z" }));
            assert.equal(named("RoleContainer", "two-web-h9").inputs.__provider, first);
        });
    });
});
