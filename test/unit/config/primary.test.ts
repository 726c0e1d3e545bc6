/** config/sections/primary.ts: the primary role. */
import assert from "node:assert/strict";
import { parseAppConfig } from "../../../config/validate";
import { minimal, problems } from "./helpers";

describe("primary role", () => {
    it("primaryRole must be a role (unless left at the default web)", () => {
        const p = problems(minimal({ primaryRole: "api" }));
        assert.equal(p.length, 1);
        assert.equal(p[0], 'primaryRole: not a role; roles are: web (got "api")');
        assert.doesNotThrow(() => parseAppConfig("demo", minimal({ roles: { api: { hosts: ["a"] } } })));
    });
});
