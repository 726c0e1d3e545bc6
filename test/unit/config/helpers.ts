/** Shared helpers for the config unit tests: a minimal app, and the problems of a deploy.yml. */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadDeployConfig } from "../../../config/deploy-yml";
import type { KamalAppInput } from "../../../config/schema";
import { KamalConfigError } from "../../../config/validate";
import { problemLines, testEnv } from "../loader/helpers";

export { problems } from "../loader/helpers";

export const minimal = (extra: Partial<KamalAppInput> = {}): KamalAppInput => ({
    service: "app",
    image: "registry.example.com/app:v1",
    roles: { web: { hosts: ["10.0.0.1"] } },
    ...extra,
});

/** The problem lines a deploy.yml (given as lines) is rejected with (fails the test when it loads). */
export function yamlProblems(lines: string[]): string[] {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pk-config-"));
    try {
        fs.mkdirSync(path.join(dir, "config"));
        fs.writeFileSync(path.join(dir, "config/deploy.yml"), [...lines, ""].join("\n"));
        loadDeployConfig({ cwd: dir, env: testEnv() });
    } catch (e) {
        assert.ok(e instanceof KamalConfigError, `expected KamalConfigError, got ${e}`);
        return problemLines(e.message);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
    assert.fail("deploy.yml was accepted");
}
