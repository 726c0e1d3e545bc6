/** What `npm pack` publishes: built JavaScript and typings, docs, nothing else. */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { pack, REPO } from "./pack";

describe("package: the npm tarball", function () {
    this.timeout(180_000);

    it("ships compiled .js and .d.ts of the package sources, README, LICENSE, CHANGELOG and package.json only", function () {
        const { files } = pack();
        const docs = ["CHANGELOG.md", "LICENSE", "README.md", "package.json"];
        for (const doc of docs) assert.ok(files.includes(doc), `${doc} missing from the tarball`);
        const code = files.filter((f) => !docs.includes(f));
        const stray = code.filter((f) => !/^dist\/.*\.(js|d\.ts)$/.test(f));
        assert.deepEqual(stray, [], "only dist/**/*.js and .d.ts besides the docs");
        const notShipped = code.filter((f) => /^dist\/(test|bench|examples)\//.test(f));
        assert.deepEqual(notShipped, [], "no tests, benchmarks or examples");
        // Every file comes from a source of the package (nothing stale from a deleted file).
        const orphans = code.filter((f) => !fs.existsSync(path.join(REPO, f.replace(/^dist\//, "").replace(/(\.d)?\.ts$|\.js$/, ".ts"))));
        assert.deepEqual(orphans, [], "files without a source in the repository");
        // Each source module has both its JavaScript and its typings.
        const js = code.filter((f) => f.endsWith(".js")).map((f) => f.slice(0, -3));
        const dts = code.filter((f) => f.endsWith(".d.ts")).map((f) => f.slice(0, -5));
        assert.deepEqual(js, dts);
        for (const entry of ["dist/index.js", "dist/provider/index.js", "dist/cli/main.js"]) assert.ok(files.includes(entry), entry);
    });

    it("has no source-map comments pointing at files it does not ship", function () {
        const { files, unpacked } = pack();
        const dangling = files.filter((f) => /\.(js|d\.ts)$/.test(f))
            .filter((f) => fs.readFileSync(path.join(unpacked, f), "utf8").includes("sourceMappingURL"));
        assert.deepEqual(dangling, []);
    });

    it("points main, types, exports and bin at shipped files; the bin runs under node", function () {
        const { files, unpacked } = pack();
        const manifest = JSON.parse(fs.readFileSync(path.join(unpacked, "package.json"), "utf8"));
        const targets = [manifest.main, manifest.types, ...Object.values<string>(manifest.bin),
            ...Object.values<Record<string, string> | string>(manifest.exports).flatMap((e) => typeof e === "string" ? [e] : Object.values(e))];
        for (const t of targets) assert.ok(files.includes(path.normalize(t)), `${t} is not in the tarball`);
        assert.match(fs.readFileSync(path.join(unpacked, manifest.bin["pulumi-kamal"]), "utf8"), /^#!\/usr\/bin\/env node\n/);
    });

    it("declares @pulumi/pulumi as a 3.x range, Node >=22, MIT, and where the project lives", function () {
        const manifest = JSON.parse(fs.readFileSync(path.join(pack().unpacked, "package.json"), "utf8"));
        assert.match(manifest.dependencies["@pulumi/pulumi"], /^\^3\.\d+\.\d+$/);
        assert.equal(manifest.engines.node, ">=22");
        assert.equal(manifest.license, "MIT");
        assert.match(fs.readFileSync(path.join(pack().unpacked, "LICENSE"), "utf8"), /^MIT License/);
        assert.ok(manifest.keywords.includes("pulumi"));
        for (const key of ["repository", "homepage", "bugs"]) assert.ok(manifest[key], key);
        assert.match(fs.readFileSync(path.join(pack().unpacked, "CHANGELOG.md"), "utf8"), /^## /m);
    });
});
