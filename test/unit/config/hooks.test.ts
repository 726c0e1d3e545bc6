/** config/sections/hooks.ts: the post-app-boot hook, its forms, defaults and rules; a paused hook's holds and the boot order they imply. */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadDeployConfig } from "../../../config/deploy-yml";
import { heldBootOrder, heldRoles, KamalAppInput } from "../../../config/schema";
import { parseAppConfig } from "../../../config/validate";
import { problemLines, testEnv } from "../loader/helpers";
import { minimal, problems } from "./helpers";

const app = (roles: KamalAppInput["roles"]): KamalAppInput => ({ service: "app", image: "registry.example.com/app:v1", roles });
const paused = (extra: Record<string, unknown> = {}) => ({ postAppBoot: { command: "bin/migrate", when: "paused" as const, ...extra } });

describe("hooks", () => {
    describe("hook normalisation", () => {
        const hookOf = (postAppBoot: unknown) =>
            parseAppConfig("demo", minimal({ roles: { web: { hosts: ["h"], hooks: { postAppBoot: postAppBoot as never } } } })).roles.web.hooks?.postAppBoot;

        it("a string is a shell command with the defaults: before-traffic, primary, 300s, no env", () => {
            assert.deepEqual(hookOf("bin/rails db:migrate"), {
                command: "bin/rails db:migrate", when: "before-traffic", runOn: "primary", timeout: 300, env: {},
            });
        });

        it("an argv is kept as an argv", () => {
            assert.deepEqual(hookOf(["bin/rails", "db:migrate"]), {
                command: ["bin/rails", "db:migrate"], when: "before-traffic", runOn: "primary", timeout: 300, env: {},
            });
        });

        it("an object keeps what it sets", () => {
            assert.deepEqual(hookOf({ command: "x", when: "paused", runOn: "all", timeout: 60, env: { A: "1" } }), {
                command: "x", when: "paused", runOn: "all", timeout: 60, env: { A: "1" },
            });
        });

        it("an object with only a command gets the defaults", () => {
            assert.deepEqual(hookOf({ command: ["a"] }), { command: ["a"], when: "before-traffic", runOn: "primary", timeout: 300, env: {} });
            assert.equal(hookOf({ command: "a", when: "after-traffic" })?.when, "after-traffic");
        });

        it("rejects an empty argv", () => {
            assert.equal(problems(minimal({ roles: { web: { hosts: ["h"], hooks: { postAppBoot: [] } } } })).length, 1);
        });
    });

    it("a hook with a bad `when`, `runOn` or command names the field, the value and the choices", () => {
        const hookProblems = (bad: unknown) => problems(minimal({ roles: { web: { hosts: ["a"], hooks: { postAppBoot: bad as never } } } }));
        assert.deepEqual(hookProblems({ command: "x", when: "later" }), ['roles.web.hooks.postAppBoot.when: when must be one of before-traffic, after-traffic, paused (got "later")']);
        assert.deepEqual(hookProblems({ command: "x", runOn: "some" }), ['roles.web.hooks.postAppBoot.runOn: runOn must be "primary" (once per role) or "all" (every host) (got "some")']);
        assert.deepEqual(hookProblems(""), ['roles.web.hooks.postAppBoot.command: a hook command cannot be empty (got "")']);
    });

    it("a paused hook needs a role behind kamal-proxy", () => {
        const p = problems(minimal({ roles: { web: { hosts: ["a"] }, jobs: { hosts: ["b"], hooks: { postAppBoot: { command: "x", when: "paused" } } } } }));
        assert.equal(p.length, 1);
        assert.ok(p[0].startsWith('roles.jobs.hooks.postAppBoot.when: "paused" holds kamal-proxy traffic, but role "jobs" is not behind kamal-proxy'), p[0]);
        assert.doesNotThrow(() => parseAppConfig("demo", minimal({
            roles: { web: { hosts: ["a"] }, jobs: { hosts: ["b"], proxy: true, hooks: { postAppBoot: { command: "x", when: "paused" } } } },
        })));
    });

    it("a negative hook timeout", () => {
        assert.deepEqual(problems(minimal({ roles: { web: { hosts: ["a"], hooks: { postAppBoot: { command: "x", timeout: -5 } } } } })), [
            "roles.web.hooks.postAppBoot.timeout: hook timeout must be more than 0 seconds (got -5)",
        ]);
    });

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
});
