/**
 * Issue 11 §2, the measured case: a non-proxied role with `bootAfter: []` on
 * hosts that also run kamal-proxy for another role, on fresh hosts, so both
 * resources set up the host at the same moment. Real engine, hosts, proxy.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { KamalApp } from "../../index";
import { get, onHost, testbed, testStack, TestStack } from "./harness";

describe("host setup when resources run in parallel", function () {
    const tb = testbed();
    let s: TestStack;

    const program = async () => {
        new KamalApp("race", {
            service: "race",
            image: `${tb.appImage}:v1`,
            roles: {
                web: { hosts: tb.hosts },
                jobs: { hosts: tb.hosts, cmd: "/app/bin/worker", bootAfter: [] },
            },
            ssh: { user: tb.user, privateKey: pulumi.secret(fs.readFileSync(tb.keyPath, "utf8")), knownHosts: tb.knownHosts },
            registry: tb.registryUser ? { server: tb.registry, username: tb.registryUser, password: pulumi.secret(tb.registryPassword!) } : undefined,
            readinessDelay: 1,
            deployTimeout: 20,
            drainTimeout: 1,
        });
    };

    const networks = (host: string) => onHost(tb, host, "docker network ls --filter name=kamal --format '{{.Name}}' | grep -cx kamal || true").trim();

    /** No kamal-proxy, no `kamal` network: what a new server looks like. Refuses to touch a host other apps use. */
    const makeFresh = (host: string) => {
        // Stopped containers other tests kept for rollback are garbage on the shared test bed; running ones are someone's app.
        onHost(tb, host, "docker rm -f $(docker ps -aq --filter label=service=race) $(docker ps -aq --filter status=exited --filter status=created) >/dev/null 2>&1; true");
        const others = onHost(tb, host, "docker ps --all --format '{{.Names}}'").split("\n").filter((n) => n && n !== "kamal-proxy");
        assert.deepEqual(others, [], `${host} runs other containers; this test needs a host without running apps`);
        onHost(tb, host, "docker rm -f kamal-proxy >/dev/null 2>&1; for n in $(docker network ls --filter name=kamal --format '{{.ID}} {{.Name}}' | awk '$2==\"kamal\"{print $1}'); do docker network rm $n >/dev/null; done; true");
        assert.equal(networks(host), "0");
    };

    const assertHealthy = async () => {
        for (const host of tb.hosts) {
            assert.equal(networks(host), "1", `${host}: expected exactly one kamal network`);
            assert.equal(onHost(tb, host, "docker ps --all --filter status=created --format '{{.Names}}'").trim(), "", `${host}: containers left in state Created`);
            const states = onHost(tb, host, "docker ps --all --filter label=service=race --format '{{.Names}} {{.State}}'").trim().split("\n").sort();
            assert.deepEqual(states, ["race-jobs-v1 running", "race-web-v1 running"]);
            assert.equal((await get(`http://${host}/version`)).body.trim(), "v1");
        }
    };

    before(async function () {
        tb.hosts.forEach(makeFresh);
        s = await testStack("race", program);
    });

    after(async function () {
        if (process.env.E2E_KEEP) return;
        await s?.destroy().catch(() => undefined);
    });

    it("fresh hosts: one `kamal` network, every container running, none left Created", async function () {
        const started = Date.now();
        await s.up();
        console.log(`      first deploy on fresh hosts: ${((Date.now() - started) / 1000).toFixed(1)} s`);
        await assertHealthy();
    });

    it("hosts already broken with several empty `kamal` networks are repaired by the next up", async function () {
        await s.destroy();
        for (const host of tb.hosts) {
            makeFresh(host);
            // Docker 20.10's name check races: concurrent creates make duplicates, as two resources once did.
            // A busy host may serialize them: try again from none until the race shows.
            for (let attempt = 1; Number(networks(host)) < 2 && attempt <= 10; attempt++) {
                makeFresh(host);
                onHost(tb, host, "for i in 1 2 3 4 5 6; do docker network create kamal >/dev/null 2>&1 & done; wait");
            }
            assert.ok(Number(networks(host)) > 1, `${host}: could not reproduce duplicate networks in 10 attempts`);
        }
        await s.up();
        await assertHealthy();
        assert.ok(s.output.join("").includes("duplicate empty \"kamal\" network"), "the repair was not reported");
    });
});
