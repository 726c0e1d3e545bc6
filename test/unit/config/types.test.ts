/**
 * The public interfaces (config/types.ts) and the zod schema (config/schema.ts)
 * describe the same shape. Checked by the compiler: a disagreement fails
 * `npm run build`; the tests below also check zod at run time on the samples.
 */
import assert from "node:assert/strict";
import type { z } from "zod";
import { appSchema, hookObjectSchema, ParsedApp, ParsedAppInput } from "../../../config/schema";
import type { HookArgs, HookConfig, KamalAppArgs, KamalAppConfig, RoleArgs } from "../../../config/types";

/** true when A is assignable to B. */
type Assignable<A, B> = [A] extends [B] ? true : false;
const agree = <T extends true>(_: T) => _;

// Inputs: what a user may write, zod accepts, and the other way round.
agree<Assignable<KamalAppArgs, ParsedAppInput>>(true);
agree<Assignable<HookArgs, z.input<typeof hookObjectSchema>>>(true);
agree<Assignable<z.input<typeof hookObjectSchema>, HookArgs>>(true);
// Roles' hooks are shorthand-or-object in the interface; zod's preprocess types them unknown, so
// the interface is checked against the object schema above and the shorthands at run time below.
agree<Assignable<Omit<ParsedAppInput, "roles">, Omit<KamalAppArgs, "roles">>>(true);
agree<Assignable<Omit<ParsedAppInput["roles"][string], "hooks">, Omit<RoleArgs, "hooks">>>(true);
// Outputs: what zod returns is the documented config, both ways.
agree<Assignable<ParsedApp, KamalAppConfig>>(true);
agree<Assignable<KamalAppConfig, ParsedApp>>(true);
agree<Assignable<z.output<typeof hookObjectSchema>, HookConfig>>(true);
agree<Assignable<HookConfig, z.output<typeof hookObjectSchema>>>(true);

describe("types: the public interfaces match the run-time schema", function () {
    it("a fully typed KamalAppArgs (every field) passes zod, hooks in all three forms", function () {
        const hooks: HookArgs[] = [{ command: "bin/migrate", when: "paused", runOn: "all", timeout: 60, env: { A: "1" } }];
        const args: KamalAppArgs = {
            service: "app", image: "reg.example/app:v1", version: "v1", destination: "staging", primaryRole: "web",
            roles: {
                web: {
                    hosts: ["10.0.0.1", { host: "10.0.0.2", tags: ["eu"], key: "b" }], cmd: "bin/web", labels: { a: "b" },
                    options: { memory: "1g", cpus: 2, init: true, "add-host": ["db:10.0.0.9"] }, volumes: ["/data:/data"],
                    logging: { driver: "json-file", options: { "max-size": "10m" } },
                    proxy: { host: "app.example.com", appPort: 3000, healthcheck: { path: "/up", interval: 1, timeout: 5 } },
                    stopTimeout: 10, hooks: { postAppBoot: hooks[0] }, env: { clear: { A: "1" }, secret: { B: "2" }, tags: { eu: { clear: { C: "3" } } } },
                },
                worker: { hosts: ["10.0.0.3"], cmd: ["bin/jobs"], hooks: { postAppBoot: "bin/warm" }, bootAfter: ["web"] },
                cron: { hosts: ["10.0.0.3"], hooks: { postAppBoot: ["bin/cron", "--once"] }, bootAfter: [] },
            },
            ssh: { user: "deploy", port: 2222, privateKey: "KEY", proxy: "bastion", verifyHostKey: true, knownHosts: "/k", hostKeys: { "10.0.0.1": "SHA256:x" } },
            env: { clear: { RAILS_ENV: "production" } },
            proxy: { ssl: false, responseTimeout: 30, buffering: { requests: true, maxRequestBody: 0 } },
            registry: { server: "reg.example", username: "u", password: "p" },
            labels: {}, volumes: [], logging: {}, boot: { limit: "50%", wait: 2 },
            deployTimeout: 30, drainTimeout: 30, readinessDelay: 7, retainContainers: 5,
            proxyImage: "basecamp/kamal-proxy:v0.9.2", proxyPorts: { http: 80, https: 443 },
        };
        const parsed = appSchema.parse(args);
        assert.equal(parsed.roles.web.hooks?.postAppBoot?.when, "paused");
        assert.deepEqual(parsed.roles.worker.hooks?.postAppBoot, { command: "bin/warm", when: "before-traffic", runOn: "primary", timeout: 300, env: {} });
        assert.deepEqual(parsed.roles.cron.hooks?.postAppBoot?.command, ["bin/cron", "--once"]);
        assert.equal((parsed.roles.web.hosts[1] as { key?: string }).key, "b");
    });

    it("the defaults zod applies are the ones the TSDoc states", function () {
        const parsed = appSchema.parse({ service: "app", image: "a:1", roles: { web: { hosts: ["h"], hooks: { postAppBoot: "x" } } } });
        assert.deepEqual(
            { primaryRole: parsed.primaryRole, ssh: parsed.ssh, deployTimeout: parsed.deployTimeout, drainTimeout: parsed.drainTimeout,
                readinessDelay: parsed.readinessDelay, retainContainers: parsed.retainContainers, proxyImage: parsed.proxyImage, proxyPorts: parsed.proxyPorts },
            { primaryRole: "web", ssh: { user: "root", port: 22, verifyHostKey: true }, deployTimeout: 30, drainTimeout: 30,
                readinessDelay: 7, retainContainers: 5, proxyImage: "basecamp/kamal-proxy:v0.9.2", proxyPorts: { http: 80, https: 443 } },
        );
        const hook = parsed.roles.web.hooks!.postAppBoot!;
        assert.deepEqual([hook.when, hook.runOn, hook.timeout, hook.env], ["before-traffic", "primary", 300, {}]);
    });
});
