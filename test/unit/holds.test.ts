/** A paused hook's `holds`: validation (object form and deploy.yml), the defaults, the boot order it implies. */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadDeployConfig } from "../../config/deploy-yml";
import { heldBootOrder, heldRoles, KamalAppInput } from "../../config/schema";
import { KamalConfigError, parseAppConfig } from "../../config/validate";
import { problemLines, problems, testEnv } from "./loader/helpers";

const app = (roles: KamalAppInput["roles"]): KamalAppInput => ({ service: "app", image: "registry.example.com/app:v1", roles });
const paused = (extra: Record<string, unknown> = {}) => ({ postAppBoot: { command: "bin/migrate", when: "paused" as const, ...extra } });

describe("paused hook holds", () => {
    it("holds every proxied role by default; non-proxied roles only when named; the hook's own role is implied", () => {
        const roles = { web: { hosts: ["a"], hooks: paused() }, api: { hosts: ["b"], proxy: { host: "api.example" } }, worker: { hosts: ["c"] } };
        assert.deepEqual(heldRoles(parseAppConfig("demo", app(roles)), "web"), ["api"]);
        assert.deepEqual(heldRoles(parseAppConfig("demo", app({ ...roles, web: { hosts: ["a"], hooks: paused({ holds: ["web", "worker"] }) } })), "web"), ["worker"]);
        assert.deepEqual(heldRoles(parseAppConfig("demo", app({ ...roles, web: { hosts: ["a"], hooks: { postAppBoot: "bin/migrate" } } })), "web"), []);
    });

    it("a held role boots beside its holder, not after its hook; the holder waits for it", () => {
        const cfg = parseAppConfig("demo", app({
            web: { hosts: ["a"], hooks: paused({ holds: ["api", "worker"] }) }, api: { hosts: ["b"], proxy: true }, worker: { hosts: ["c"] }, cron: { hosts: ["d"] },
        }));
        const order = heldBootOrder(cfg);
        assert.deepEqual(order.api, []);
        assert.deepEqual(order.worker, []);
        assert.deepEqual(order.web, ["api", "worker"]);
        assert.deepEqual(order.cron, ["web"]);
    });

    it("rejects unknown roles, holds without paused, a role held twice, a held role with its own paused hook, and cycles", () => {
        assert.deepEqual(problems(app({ web: { hosts: ["a"], hooks: paused({ holds: ["web", "apii"] }) }, api: { hosts: ["b"], proxy: true } })),
            ['roles.web.hooks.postAppBoot.holds[1]: unknown role; roles are: web, api (got "apii")']);
        assert.deepEqual(problems(app({ web: { hosts: ["a"], hooks: { postAppBoot: { command: "x", holds: ["web"] } } } })),
            ['roles.web.hooks.postAppBoot.holds: holds only applies to when: "paused" (this hook runs before-traffic); remove holds or set when: paused (got ["web"])']);
        assert.deepEqual(problems(app({ web: { hosts: ["a"], hooks: paused({ holds: [] }) } })),
            ["roles.web.hooks.postAppBoot.holds: holds needs at least one role; leave it out to hold every proxied role (got [])"]);
        const twice = problems(app({ web: { hosts: ["a"], hooks: paused({ holds: ["worker"] }) }, api: { hosts: ["b"], proxy: true, hooks: paused({ holds: ["worker"] }) }, worker: { hosts: ["c"] } }));
        assert.ok(twice.some((p) => /role "worker" is already held by role "web"'s paused hook/.test(p)), twice.join("\n"));
        const both = problems(app({ web: { hosts: ["a"], hooks: paused() }, api: { hosts: ["b"], proxy: true, hooks: paused({ holds: ["api"] }) } }));
        assert.ok(both.some((p) => /role "api" has its own paused hook/.test(p)), both.join("\n"));
        // worker is held by web but boots after cron, which boots after web's hook: web's hook would wait for itself.
        const cycle = problems(app({ web: { hosts: ["a"], hooks: paused({ holds: ["worker"] }) }, worker: { hosts: ["c"], bootAfter: ["cron"] }, cron: { hosts: ["d"] } }));
        assert.ok(cycle.some((p) => /forms a cycle/.test(p)), cycle.join("\n"));
    });

    it("deploy.yml: hooks.post-app-boot.holds is read as a list of roles, and checked", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pk-holds-"));
        fs.mkdirSync(path.join(dir, "config"));
        const write = (holds: string) => fs.writeFileSync(path.join(dir, "config/deploy.yml"), [
            "service: shop", "image: acme/shop:1",
            "servers:", "  web:", "    hosts: [10.0.0.1]", "    hooks:", "      post-app-boot:", "        command: bin/migrate", "        when: paused", `        holds: ${holds}`,
            "  api:", "    hosts: [10.0.0.2]", "    proxy: { host: api.example }", "  worker:", "    hosts: [10.0.0.3]", "",
        ].join("\n"));
        write("[web, api, worker]");
        const loaded = loadDeployConfig({ cwd: dir, env: testEnv() });
        assert.deepEqual((loaded.args.roles.web.hooks?.postAppBoot as { holds: string[] }).holds, ["web", "api", "worker"]);
        write("[web, jobs]");
        assert.throws(() => loadDeployConfig({ cwd: dir, env: testEnv() }), (e: Error) => {
            assert.ok(problemLines(e.message).some((l) => /:10: servers.web.hooks.post-app-boot.holds\[1\]: unknown role; roles are: web, api, worker \(got "jobs"\)$/.test(l)), e.message);
            return true;
        });
        fs.rmSync(dir, { recursive: true });
    });
});
