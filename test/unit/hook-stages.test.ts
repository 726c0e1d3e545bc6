/** The hook stage and mode tables KamalRole wires hooks from (the wiring itself: components.test.ts). */
import assert from "node:assert/strict";
import { HOOK_STAGES, wiringOf } from "../../components/hook-stages";
import { HOOK_RUN_ON, HOOK_WHEN } from "../../config/schema";

describe("hook stages and modes", () => {
    it("every when x runOn the config accepts has a wiring", () => {
        for (const when of HOOK_WHEN) for (const runOn of HOOK_RUN_ON) assert.ok(wiringOf({ when, runOn }), `${when}/${runOn}`);
    });

    it("before-traffic switches after the hook, after-traffic before it; runOn picks one host or each", () => {
        assert.deepEqual(wiringOf({ when: "before-traffic", runOn: "primary" }), { runs: "first", traffic: "after-hook", oneGroup: false, holds: false });
        assert.deepEqual(wiringOf({ when: "before-traffic", runOn: "all" }), { runs: "each", traffic: "after-hook", oneGroup: false, holds: false });
        assert.deepEqual(wiringOf({ when: "after-traffic", runOn: "primary" }), { runs: "first", traffic: "before-hook", oneGroup: false, holds: false });
        assert.deepEqual(wiringOf({ when: "after-traffic", runOn: "all" }), { runs: "each", traffic: "before-hook", oneGroup: false, holds: false });
    });

    it("paused: one hook over every host at once, all hosts in one boot group, holding other roles, whatever runOn says", () => {
        for (const runOn of HOOK_RUN_ON) {
            assert.deepEqual(wiringOf({ when: "paused", runOn }), { runs: "together", traffic: "after-hook", oneGroup: true, holds: true });
        }
    });

    it("an unknown mode is an error naming it, not a silent default", () => {
        assert.throws(() => wiringOf({ when: "later" as never, runOn: "primary" }), /no wiring for hooks with when: later, runOn: primary/);
    });

    it("each stage names its config key and Kamal's hook name", () => {
        assert.deepEqual(HOOK_STAGES.postAppBoot, { key: "postAppBoot", name: "post-app-boot" });
    });
});
