/**
 * Projects that install the packed tarball as users do (npm install of the
 * .tgz, not a link): a strict TypeScript program with the compiler options of
 * Pulumi's own template (strict, no skipLibCheck), and a plain JavaScript one.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { consumerProject, copiesOf, REPO } from "./pack";

const FIXTURES = path.join(REPO, "test/fixtures/consumers");

function tsc(dir: string, source: string): { code: number | null; out: string } {
    fs.copyFileSync(path.join(FIXTURES, source), path.join(dir, "index.ts"));
    const r = spawnSync(process.execPath, [path.join(dir, "node_modules/typescript/bin/tsc"), "-p", dir, "--noEmit"], { cwd: dir, encoding: "utf8" });
    return { code: r.status, out: r.stdout + r.stderr };
}

function devVersion(name: string): string {
    return JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")).devDependencies[name];
}

describe("package: a strict TypeScript consumer (Pulumi's template tsconfig)", function () {
    this.timeout(300_000);
    let dir: string;
    before(function () {
        dir = consumerProject([`typescript@${devVersion("typescript")}`, `@types/node@${devVersion("@types/node")}`]);
        fs.copyFileSync(path.join(FIXTURES, "strict-tsconfig.json"), path.join(dir, "tsconfig.json"));
    });

    it("compiles a program using every input type and the typed outputs with zero errors", function () {
        const tsconfig = JSON.parse(fs.readFileSync(path.join(dir, "tsconfig.json"), "utf8")).compilerOptions;
        assert.equal(tsconfig.strict, true);
        assert.equal(tsconfig.skipLibCheck, undefined, "the library's typings are checked too");
        const r = tsc(dir, "good.ts");
        assert.equal(r.out.trim(), "", r.out);
        assert.equal(r.code, 0);
    });

    it("rejects `image: 42` and `when: \"befor-traffic\"` at compile time, on their lines", function () {
        const r = tsc(dir, "bad.ts");
        assert.notEqual(r.code, 0);
        const lines = fs.readFileSync(path.join(FIXTURES, "bad.ts"), "utf8").split("\n");
        const lineOf = (mark: string) => lines.findIndex((l) => l.includes(mark)) + 1;
        const errors = r.out.split("\n").filter((l) => /error TS\d+/.test(l));
        assert.equal(errors.length, 2, r.out);
        assert.match(errors.find((e) => e.startsWith(`index.ts(${lineOf("BAD-IMAGE")},`)) ?? "", /number/, r.out);
        assert.match(errors.find((e) => e.startsWith(`index.ts(${lineOf("BAD-WHEN")},`)) ?? "", /befor-traffic/, r.out);
    });

    it("installs a single @pulumi/pulumi", function () {
        assert.equal(copiesOf(dir, "@pulumi/pulumi").length, 1);
    });
});

describe("package: a plain JavaScript consumer", function () {
    this.timeout(300_000);
    let dir: string;
    before(function () {
        dir = consumerProject([]);
        fs.copyFileSync(path.join(FIXTURES, "mocks.js"), path.join(dir, "index.js"));
    });

    it("requires the package and builds a KamalApp whose outputs resolve (Pulumi mocks)", function () {
        const out = JSON.parse(execFileSync(process.execPath, ["index.js"], { cwd: dir, encoding: "utf8" }));
        assert.deepEqual(out, {
            url: "http://shop.example.com",
            urls: { web: ["http://shop.example.com"] },
            version: "v7",
            containers: { web: { "10.0.0.1": "shop-web-v7", "10.0.0.2": "shop-web-v7" } },
            hookRuns: { web: [{ host: "10.0.0.1", exitCode: 0 }] },
        });
    });

    it("gets the run-time check's error naming the field and value for `image: 42`", function () {
        const r = spawnSync(process.execPath, ["index.js", "bad"], { cwd: dir, encoding: "utf8" });
        assert.equal(r.status, 3, r.stderr);
        assert.match(r.stderr, /KamalConfigError: Invalid KamalApp "shop" configuration:\n\s+- image: .*\(got 42\)/);
    });
});

describe("package: a consumer on an older @pulumi/pulumi 3.x", function () {
    this.timeout(300_000);
    // The oldest release our ^3.x range allows.
    const floor = (JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")).dependencies["@pulumi/pulumi"] as string).replace(/^\^/, "");
    let dir: string;
    before(function () {
        dir = consumerProject([], [`@pulumi/pulumi@${floor}`]);
        fs.copyFileSync(path.join(FIXTURES, "mocks.js"), path.join(dir, "index.js"));
    });

    it("keeps its own @pulumi/pulumi as the only copy", function () {
        const copies = copiesOf(dir, "@pulumi/pulumi");
        assert.deepEqual(copies, [path.join(fs.realpathSync(dir), "node_modules/@pulumi/pulumi")]);
        assert.equal(JSON.parse(fs.readFileSync(path.join(copies[0], "package.json"), "utf8")).version, floor);
    });

    it("builds a KamalApp with that copy (Pulumi mocks)", function () {
        const out = JSON.parse(execFileSync(process.execPath, ["index.js"], { cwd: dir, encoding: "utf8" }));
        assert.deepEqual(out.containers, { web: { "10.0.0.1": "shop-web-v7", "10.0.0.2": "shop-web-v7" } });
    });
});
