/**
 * KamalApp's typed outputs, stable host keys, and the fields that accept
 * Inputs (proxy.host, ssh.user, registry.server), under Pulumi's mocks.
 */
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { KamalApp } from "../../components/KamalApp";
import { roleUrls } from "../../components/outputs";
import type { KamalAppArgs } from "../../config/types";
import { KamalConfigError } from "../../config/validate";

interface Registered { type: string; name: string; inputs: Record<string, any> }
let registered: Registered[];
let componentOutputs: Record<string, unknown>;

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
/** Plain values of mock inputs (secrets unwrapped, deeply). */
const plain = (v: any): any => v && typeof v === "object"
    ? (v[SECRET_SIG] ? plain(v.value) : Array.isArray(v) ? v.map(plain) : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])))
    : v;

/** Installs the mocks for this file's tests only (other files install their own). */
function useMocks(): void {
    beforeEach(async function () {
        registered = [];
        componentOutputs = {};
        await pulumi.runtime.setMocks({
            newResource: (args) => {
                registered.push({ type: args.type, name: args.name, inputs: args.inputs });
                const state = args.type.endsWith(":RoleContainer")
                    ? { ...args.inputs, containerName: `${args.inputs.service}-${args.inputs.role}-${args.inputs.version}-${args.name.split("-").pop()}` }
                    : args.type.endsWith(":RoleHook") ? { ...args.inputs, runs: [{ host: "h", container: "c", exitCode: 0 }] } : args.inputs;
                return { id: args.custom ? `${args.name}-id` : undefined, state };
            },
            call: () => ({}),
        }, "project", "stack", false);
        const monitor = pulumi.runtime.getMonitor() as any;
        const outputs = monitor.registerResourceOutputs.bind(monitor);
        monitor.registerResourceOutputs = (req: any, callback: any) => {
            if (req.getUrn().includes("KamalApp::")) Object.assign(componentOutputs, req.getOutputs()?.toJavaScript() ?? {});
            return outputs(req, callback);
        };
    });
}

const resolve = <T>(o: pulumi.Output<T>) => new Promise<T>((r) => o.apply((v) => { r(v); return v; }));
const settle = async (app: KamalApp) => {
    const all = Object.values(app.roles).flatMap((r) => [...r.containers, ...r.switches, ...r.hooks]);
    await Promise.all(all.map((r) => resolve(r.urn)));
    await resolve(pulumi.all([app.urls, app.containers, app.hookRuns, app.version]));
};
const base = (extra: Partial<KamalAppArgs> & Pick<KamalAppArgs, "roles">): KamalAppArgs => ({ service: "shop", image: "reg.example/shop:v7", ...extra });

describe("outputs: roleUrls", function () {
    const ports = { http: 80, https: 443 };
    it("one URL per proxy host name, https with ssl, the path prefix kept", function () {
        assert.deepEqual(roleUrls({ hostNames: ["a.example", "b.example"], ssl: true, pathPrefix: "/app", ports }, ["10.0.0.1"]),
            ["https://a.example/app", "https://b.example/app"]);
    });
    it("without host names: one per host address, non-default ports shown, IPv6 bracketed, duplicates once", function () {
        assert.deepEqual(roleUrls({ hostNames: [], ssl: false, ports: { http: 8080, https: 443 } }, ["10.0.0.1", "fd00::1", "10.0.0.1"]),
            ["http://10.0.0.1:8080", "http://[fd00::1]:8080"]);
        assert.deepEqual(roleUrls({ hostNames: [], ssl: false, ports }, ["h1"]), ["http://h1"]);
    });
});

describe("outputs: KamalApp's typed outputs", function () {
    useMocks();
    it("version, urls, url, containers per host and hook runs resolve and are registered on the component", async function () {
        const app = new KamalApp("shop", base({
            // A certificate, not Let's Encrypt (ssl: true allows one host per role): https all the same.
            proxy: { host: pulumi.output("shop.example.com"), ssl: { certificatePem: pulumi.secret("CERT"), privateKeyPem: pulumi.secret("KEY") } },
            roles: {
                web: { hosts: ["10.0.0.1", "10.0.0.2"], hooks: { postAppBoot: "bin/migrate" } },
                worker: { hosts: ["10.0.0.3"] },
            },
        }));
        await settle(app);
        assert.equal(await resolve(app.version), "v7");
        assert.deepEqual(await resolve(app.urls), { web: ["https://shop.example.com"] });
        assert.equal(await resolve(app.url), "https://shop.example.com");
        assert.deepEqual(await resolve(app.containers), {
            web: { "10.0.0.1": "shop-web-v7-10.0.0.1", "10.0.0.2": "shop-web-v7-10.0.0.2" },
            worker: { "10.0.0.3": "shop-worker-v7-10.0.0.3" },
        });
        assert.deepEqual(await resolve(app.hookRuns), { web: [{ host: "h", container: "c", exitCode: 0 }] });
        for (let i = 0; i < 100 && !componentOutputs.version; i++) await new Promise((r) => setTimeout(r, 20));
        assert.deepEqual(Object.keys(componentOutputs).sort(), ["containers", "hookRuns", "roles", "url", "urls", "version"]);
        assert.equal(componentOutputs.version, "v7");
        assert.deepEqual(componentOutputs.roles, ["web", "worker"]);
    });

    it("an explicit version wins over the image tag; no proxied role gives no url", async function () {
        const app = new KamalApp("jobs", base({ version: pulumi.output("2024-01"), roles: { worker: { hosts: ["10.0.0.3"] } }, primaryRole: "worker" }));
        await settle(app);
        assert.equal(await resolve(app.version), "2024-01");
        // The primary role is proxied by default: its URL is the host's address.
        assert.deepEqual(await resolve(app.urls), { worker: ["http://10.0.0.3"] });
        const none = new KamalApp("none", base({ roles: { web: { hosts: ["10.0.0.4"], proxy: false } } }));
        await settle(none);
        assert.equal(await resolve(none.url), undefined);
        assert.deepEqual(await resolve(none.urls), {});
    });
});

describe("outputs: stable host keys", function () {
    useMocks();
    const a = pulumi.output("10.0.0.1");
    const b = pulumi.output("10.0.0.2");
    const build = async (hosts: KamalAppArgs["roles"][string]["hosts"]) => {
        registered = [];
        const app = new KamalApp("shop", base({ roles: { web: { hosts } } }));
        await settle(app);
        return registered.filter((r) => r.type.endsWith(":RoleContainer")).map((r) => [r.name, plain(r.inputs.connection).host]).sort();
    };

    it("Output hosts with keys keep their resource names when the list is reordered", async function () {
        const before = await build([{ host: a, key: "a" }, { host: b, key: "b" }]);
        const after = await build([{ host: b, key: "b" }, { host: a, key: "a" }]);
        assert.deepEqual(before, [["shop-web-a", "10.0.0.1"], ["shop-web-b", "10.0.0.2"]]);
        assert.deepEqual(after, before);
    });

    it("without keys Output hosts are named by position (so a reorder would rename them)", async function () {
        const before = await build([a, b]);
        const after = await build([b, a]);
        assert.deepEqual(before, [["shop-web-host0", "10.0.0.1"], ["shop-web-host1", "10.0.0.2"]]);
        assert.deepEqual(after, [["shop-web-host0", "10.0.0.2"], ["shop-web-host1", "10.0.0.1"]]);
    });

    it("a key used twice in a role is a config error naming the entry", function () {
        assert.throws(() => new KamalApp("shop", base({ roles: { web: { hosts: [{ host: a, key: "x" }, { host: b, key: "x" }] } } })),
            (e: unknown) => e instanceof KamalConfigError && /roles\.web\.hosts\[1\]\.key: another host of this role has this key.*\(got "x"\)/.test(e.message));
        assert.throws(() => new KamalApp("shop", base({ roles: { web: { hosts: [{ host: a, key: "Bad Key" }] } } })),
            (e: unknown) => e instanceof KamalConfigError && /roles\.web\.hosts\[0\]\.key: a host key must be lowercase/.test(e.message));
    });
});

describe("outputs: Inputs for proxy.host, ssh.user and registry.server", function () {
    useMocks();
    it("reach the resources' inputs resolved", async function () {
        const app = new KamalApp("shop", base({
            roles: { web: { hosts: ["10.0.0.1"] } },
            proxy: { host: pulumi.output("shop.example.com") },
            ssh: { user: pulumi.output("deploy") },
            registry: { server: pulumi.output("reg.example"), username: "u", password: pulumi.secret("p") },
        }));
        await settle(app);
        const sw = registered.find((r) => r.type.endsWith(":TrafficSwitch"))!;
        assert.deepEqual(plain(sw.inputs.proxy).hosts, ["shop.example.com"]);
        assert.equal(plain(sw.inputs.connection).user, "deploy");
        const container = registered.find((r) => r.type.endsWith(":RoleContainer"))!;
        assert.equal(plain(container.inputs.registry).server, "reg.example");
        assert.equal(plain(container.inputs.connection).user, "deploy");
    });
});
