/**
 * Issue 11 §7: the fault suite. Each fault hits a real deploy from v1 to v3
 * (or back); the promises: the old version keeps serving with 0 failed
 * requests where the hook promises it, no route is left paused, the error
 * says what happened, and the next plain `up` converges with nothing left
 * behind. `npm run bench:faults` runs the same faults and writes RELIABILITY.md.
 */
import * as assert from "node:assert/strict";
import { testbed, TestStack } from "./harness";
import { cleanHosts, FAULTS, faultStack, runFault } from "./faults";

describe("fault suite: a deploy hit by a fault never leaves traffic on a broken version", function () {
    const tb = testbed();
    let version = "v1";
    let stack: TestStack;

    before(async function () {
        cleanHosts(tb);
        stack = await faultStack(tb, () => version);
        await stack.up();
    });

    after(async function () {
        if (process.env.E2E_KEEP) return;
        await stack?.destroy().catch(() => undefined);
        cleanHosts(tb);
    });

    for (const fault of FAULTS) {
        it(fault.name, async function () {
            version = version === "v1" ? "v3" : "v1";
            const o = await runFault(tb, stack, fault, version);
            console.log(`      saw: ${o.saw}\n      failed requests ${o.failedRequests}/${o.requests}, failed after ${o.secondsToFail.toFixed(1)} s, converged in ${o.secondsToConverge.toFixed(1)} s`);
            if (fault.mustFail) assert.notEqual(o.saw, "deploy succeeded", "the fault did not fail the deploy");
            if (o.saw !== "deploy succeeded") assert.ok(o.saw.length > 0, "the deploy failed without a message");
            if (fault.zeroFailures) assert.equal(o.failedRequests, 0, "requests failed while the old version should have kept serving");
            assert.deepEqual(o.pausedRoutes, [], "a route was left paused");
            assert.deepEqual(o.servedAfter, [version, version], "the next up did not converge");
            assert.deepEqual(o.runningAfter, [1, 1], "containers leaked: more than one web container runs on a host");
            assert.deepEqual(o.leftoverRoutes, [], "kamal-proxy routes left behind");
        });
    }
});
