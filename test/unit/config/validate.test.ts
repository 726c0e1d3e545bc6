/** config/validate.ts and config/issues.ts: one error naming every bad field, its value and the fix. */
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { describeValue } from "../../../config/format";
import { issueText } from "../../../config/issues";
import { formatPath, KamalConfigError, parseAppConfig } from "../../../config/validate";
import { minimal, problems } from "./helpers";

describe("parseAppConfig errors", () => {
    it("are KamalConfigErrors naming the app, one indented line per problem", () => {
        try {
            parseAppConfig("demo", minimal({ deployTimeout: 0, retainContainers: 0 }));
            assert.fail("accepted");
        } catch (e) {
            assert.ok(e instanceof KamalConfigError);
            assert.equal(e.name, "KamalConfigError");
            assert.equal(e.where, 'KamalApp "demo" configuration');
            assert.equal(e.message, [
                'Invalid KamalApp "demo" configuration:',
                "  - deployTimeout: deployTimeout must be more than 0 seconds (got 0)",
                "  - retainContainers: retainContainers must keep at least 1 container (got 0)",
            ].join("\n"));
        }
    });

    it("list every problem at once, with path, message and value", () => {
        assert.deepEqual(problems({
            service: "App",
            image: "x",
            roles: { web: { hosts: ["root@10.0.0.1", "10.0.0.2"], bogus: 1 } },
            ssh: { port: 70000 },
            extra: true,
        }), [
            "service: service must be lowercase letters, digits, '-' or '_' (starting with a letter or digit) (got \"App\")",
            'roles.web.hosts[0]: host must be a hostname or IP address (no user@, no :port: set ssh.user and ssh.port instead) (got "root@10.0.0.1")',
            'roles.web: unknown key "bogus"; remove it or check the spelling',
            "ssh.port: ssh.port must be between 1 and 65535 (got 70000)",
            '(root): unknown key "extra"; remove it or check the spelling',
        ]);
    });

    it("unknown keys: one or several, no value shown", () => {
        assert.deepEqual(problems(minimal({ hostz: 1 } as never)), ['(root): unknown key "hostz"; remove it or check the spelling']);
        assert.deepEqual(problems(minimal({ a: 1, b: 2 } as never)), ['(root): unknown keys "a", "b"; remove them or check the spelling']);
        assert.deepEqual(problems(minimal({ proxy: { sll: true } as never })), ['proxy: unknown key "sll"; remove it or check the spelling']);
    });

    it("long values are cut at 60 characters", () => {
        const [p] = problems(minimal({ service: "X".repeat(100) }));
        assert.ok(p.endsWith(`(got "${"X".repeat(56)}...)`), p);
    });

    it("formatPath joins keys with dots and indexes with brackets", () => {
        assert.equal(formatPath(["roles", "web", "hosts", 0, "host"]), "roles.web.hosts[0].host");
        assert.equal(formatPath([0]), "[0]");
        assert.equal(formatPath([]), "");
    });

    it("never shows a Pulumi value (a secret) in a message: TypeScript and deploy.yml share one formatter", () => {
        const [p] = problems(minimal({ proxy: { host: pulumi.secret("secret.example"), hosts: ["b.example"] } }));
        assert.equal(p, 'proxy: set proxy.host or proxy.hosts, not both (got {"host":"[secret]","hosts":["b.example"]})');
        assert.ok(!p.includes("secret.example"), p);
        assert.equal(describeValue(pulumi.output("x")), '"[secret]"');
        assert.equal(describeValue(undefined), "nothing");
    });

    it("a rule of ours shows a value only when it passes one", () => {
        const issue = (input: unknown) => ({ code: "custom", path: [], message: "m", input }) as z.core.$ZodIssue;
        assert.equal(issueText(issue("v")), 'm (got "v")');
        assert.equal(issueText(issue(undefined)), "m");
        assert.equal(issueText({ code: "invalid_type", expected: "string", path: [], message: "m", input: undefined } as z.core.$ZodIssue), "m (got nothing)");
        assert.equal(issueText(issue("v"), (m) => m.toUpperCase()), 'M (got "v")');
    });
});
