/**
 * Issue 7: a stack deployed with an older pulumi-kamal keeps working after the
 * user upgrades the package. State stores each resource's type token and the
 * provider kind its stub loads; the upgrade may rename both, so it must carry
 * aliases and resolve old kinds. Driven as a user does it, with the Pulumi CLI:
 * `up` with the old tarball, `npm install` the new one, then refresh, preview,
 * up (nothing replaced, no hook re-run), a real new version, destroy.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { npmPack } from "../package/pack";
import { get, onHost, REPO, testbed } from "./harness";
import { UserMachine } from "./user";

/** The last commit before Issue 7 renamed the resources (kinds Container/Proxy/Release/Hook, tokens KamalProxy/PostAppBootHook). */
const BEFORE_RENAMES = "868735c4000897c0402c660b8c63c1b65c2ec478";

const tb = testbed();
const [h1, h2] = tb.hosts;
const SERVICE = "upgraded";

/** `npm pack` of the package as it was at `ref`, built with this checkout's toolchain. */
function packAt(ref: string, into: string): string {
    const src = path.join(into, `src-${ref.slice(0, 7)}`);
    fs.mkdirSync(src);
    execFileSync("sh", ["-c", `git -C "$1" archive "$2" | tar -x -C "$3"`, "sh", REPO, ref, src]);
    // Same lockfile at that commit: its build needs only typescript and the typings.
    fs.symlinkSync(path.join(REPO, "node_modules"), path.join(src, "node_modules"));
    return npmPack(src, into);
}

/** A user's project: web (proxied, with a post-app-boot hook) on h1, worker on h2. */
function writeProject(dir: string): void {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: upgraded\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n");
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "upgraded", private: true }));
    fs.copyFileSync(path.join(REPO, "examples/demo/tsconfig.json"), path.join(dir, "tsconfig.json"));
    fs.writeFileSync(path.join(dir, "index.ts"), `
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import { KamalApp } from "pulumi-kamal";

const config = new pulumi.Config();
const app = new KamalApp(${JSON.stringify(SERVICE)}, {
    service: ${JSON.stringify(SERVICE)},
    image: config.require("image"),
    roles: {
        web: { hosts: [${JSON.stringify(h1)}], hooks: { postAppBoot: "/app/bin/migrate" } },
        worker: { hosts: [${JSON.stringify(h2)}], cmd: "/app/bin/worker" },
    },
    ssh: { user: ${JSON.stringify(tb.user)}, privateKey: pulumi.secret(fs.readFileSync(${JSON.stringify(tb.keyPath)}, "utf8")), knownHosts: ${JSON.stringify(tb.knownHosts)} },
    registry: { server: config.require("registryServer"), username: config.require("registryUser"), password: config.requireSecret("registryPassword") },
    readinessDelay: 1, deployTimeout: 20, drainTimeout: 2,
});
export const containerIds = pulumi.all(Object.values(app.roles).flatMap((r) => r.containers.map((c) => c.containerId)));
`);
}

interface PreviewStep { op: string; urn: string }

describe("upgrading pulumi-kamal under a deployed stack (resources renamed since)", function () {
    let user: UserMachine;
    let dir: string;
    let deployed = false;
    const install = (...packages: string[]) => execFileSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", ...packages],
        { cwd: dir, stdio: ["ignore", "ignore", "inherit"] });
    // The test app's migrate appends a line per run to the container's own log.
    const hookRuns = (container: string) => onHost(tb, h1, `docker exec ${container} cat /data/migrations.log`).split("\n").filter(Boolean).length;
    const types = async () => {
        const state = JSON.parse(await user.ok(dir, ["stack", "export"]));
        return (state.deployment.resources as { type: string; urn: string }[]).map((r) => r.type).filter((t) => t.includes("dynamic/kamal:")).sort();
    };

    before(async function () {
        user = new UserMachine();
        await user.ok(user.root, ["login", `file://${user.stateDir}`]);
        dir = path.join(user.root, "project");
        writeProject(dir);
        install("@pulumi/pulumi@^3.276.0", "typescript@^5.9.3", "@types/node@^22");
        install(packAt(BEFORE_RENAMES, user.root));
        await user.ok(dir, ["stack", "init", "dev"]);
        await user.ok(dir, ["config", "set", "image", `${tb.appImage}:v1`]);
        await user.ok(dir, ["config", "set", "registryServer", tb.registry]);
        await user.ok(dir, ["config", "set", "registryUser", tb.registryUser ?? "unused"]);
        await user.ok(dir, ["config", "set", "--secret", "registryPassword"], tb.registryPassword ?? "unused");
    });

    after(async function () {
        if (!user) return;
        if (deployed) await user.pulumi(dir, ["destroy", "--yes"]);
        if (!process.env.E2E_KEEP) user.cleanup();
    });

    it("the old package deploys web (with its hook) and worker", async function () {
        await user.ok(dir, ["up", "--yes"]);
        deployed = true;
        assert.equal((await get(`http://${h1}/version`)).body, "v1");
        assert.equal(hookRuns(`${SERVICE}-web-v1`), 1);
        assert.ok((await types()).includes("pulumi-nodejs:dynamic/kamal:PostAppBootHook"), "the old package no longer has the old names: move BEFORE_RENAMES");
    });

    it("after `npm install` of the new package: refresh, preview and up change nothing, replace nothing, re-run no hook", async function () {
        const before = JSON.parse(await user.ok(dir, ["stack", "output", "containerIds", "--json"]));
        install(user.pack());
        // Refresh reads every resource through the stub stored in state: the old provider kinds.
        await user.ok(dir, ["refresh", "--yes"]);
        const preview = JSON.parse(await user.ok(dir, ["preview", "--json"]));
        const changed = (preview.steps as PreviewStep[]).filter((s) => s.op !== "same");
        assert.deepEqual(changed.map((s) => `${s.op} ${s.urn}`), []);
        await user.ok(dir, ["up", "--yes"]);
        assert.deepEqual(JSON.parse(await user.ok(dir, ["stack", "output", "containerIds", "--json"])), before);
        assert.equal(hookRuns(`${SERVICE}-web-v1`), 1);
        assert.equal((await get(`http://${h1}/version`)).body, "v1");
        const now = await types();
        assert.ok(!now.some((t) => /:(PostAppBootHook|KamalProxy)$/.test(t)), `old type tokens left in state: ${now.join(", ")}`);
    });

    it("the new package deploys the next version through the upgraded resources, and destroys them", async function () {
        await user.ok(dir, ["config", "set", "image", `${tb.appImage}:v2`]);
        await user.ok(dir, ["up", "--yes"]);
        assert.equal((await get(`http://${h1}/version`)).body, "v2");
        assert.equal(hookRuns(`${SERVICE}-web-v2`), 1);
        await user.ok(dir, ["destroy", "--yes"]);
        deployed = false;
        for (const host of [h1, h2]) {
            assert.equal(onHost(tb, host, `docker ps --all --filter label=service=${SERVICE} --format '{{.Names}}'`).trim(), "");
        }
    });
});
