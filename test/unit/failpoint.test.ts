/** The fault suite's failpoints: inert by default; armed, they hold the deploy until released. */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { failpoint } from "../../provider/effects/failpoint";

describe("failpoint", () => {
    const saved = process.env.PULUMI_KAMAL_FAILPOINTS;
    let dir: string;
    beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), "failpoints-")); });
    afterEach(() => {
        if (saved === undefined) delete process.env.PULUMI_KAMAL_FAILPOINTS; else process.env.PULUMI_KAMAL_FAILPOINTS = saved;
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("does nothing without PULUMI_KAMAL_FAILPOINTS, or when the point's file is absent", async () => {
        delete process.env.PULUMI_KAMAL_FAILPOINTS;
        fs.writeFileSync(path.join(dir, "paused-before-resume"), "");
        await failpoint("paused-before-resume");
        process.env.PULUMI_KAMAL_FAILPOINTS = dir;
        fs.rmSync(path.join(dir, "paused-before-resume"));
        await failpoint("paused-before-resume");
        assert.deepEqual(fs.readdirSync(dir), []);
    });

    it("armed: says it was reached and waits until the test removes its file", async () => {
        process.env.PULUMI_KAMAL_FAILPOINTS = dir;
        const file = path.join(dir, "paused-before-resume");
        fs.writeFileSync(file, "");
        let passed = false;
        const held = failpoint("paused-before-resume").then(() => { passed = true; });
        while (!fs.existsSync(`${file}.reached`)) await new Promise((r) => setTimeout(r, 10));
        await new Promise((r) => setTimeout(r, 100));
        assert.equal(passed, false, "went on while its file was there");
        fs.rmSync(file);
        await held;
        assert.equal(passed, true);
    });
});
