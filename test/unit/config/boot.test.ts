/** config/sections/boot.ts: boot_after, its defaults and its rules. */
import assert from "node:assert/strict";
import { bootOrder } from "../../../config/schema";
import { parseAppConfig } from "../../../config/validate";
import { minimal, problems } from "./helpers";

describe("boot", () => {
    it("bootAfter: an unknown role", () => {
        const p = problems(minimal({ roles: { web: { hosts: ["a"] }, jobs: { hosts: ["b"], bootAfter: ["nope"] } } }));
        assert.equal(p.length, 1);
        assert.equal(p[0], 'roles.jobs.bootAfter[0]: unknown role; roles are: web, jobs (got "nope")');
    });

    it("bootAfter: itself", () => {
        const p = problems(minimal({ roles: { web: { hosts: ["a"] }, jobs: { hosts: ["b"], bootAfter: ["web", "jobs"] } } }));
        assert.ok(p[0].startsWith("roles.jobs.bootAfter[1]: a role cannot boot after itself"), p[0]);
    });

    it("bootAfter: a cycle, spelled out", () => {
        const p = problems(minimal({ roles: { web: { hosts: ["a"] }, jobs: { hosts: ["b"], bootAfter: ["cron"] }, cron: { hosts: ["c"], bootAfter: ["jobs"] } } }));
        assert.equal(p.length, 1);
        assert.ok(p[0].startsWith("roles: bootAfter forms a cycle: jobs -> cron -> jobs; remove one of these dependencies"), p[0]);
    });

    it("bootAfter through the default (non-primary after primary) can close a cycle", () => {
        const p = problems(minimal({ roles: { web: { hosts: ["a"], bootAfter: ["jobs"] }, jobs: { hosts: ["b"] } } }));
        assert.ok(p[0].startsWith("roles: bootAfter forms a cycle: web -> jobs -> web"), p[0]);
    });

    it("bootOrder: non-primary roles after the primary by default; bootAfter overrides", () => {
        const app = parseAppConfig("demo", minimal({
            roles: { web: { hosts: ["a"] }, jobs: { hosts: ["b"] }, cron: { hosts: ["c"], bootAfter: ["jobs"] }, solo: { hosts: ["d"], bootAfter: [] } },
        }));
        assert.deepEqual(bootOrder(app), { web: [], jobs: ["web"], cron: ["jobs"], solo: [] });
        const noWeb = parseAppConfig("demo", minimal({ roles: { api: { hosts: ["a"] }, jobs: { hosts: ["b"] } } }));
        assert.deepEqual(bootOrder(noWeb), { api: [], jobs: ["api"] });
    });
});
