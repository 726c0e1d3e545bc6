/** config/sections/roles.ts: roles, their names and their hosts. */
import assert from "node:assert/strict";
import { parseAppConfig } from "../../../config/validate";
import { minimal, problems } from "./helpers";

describe("roles", () => {
    it("hosts with user@ or a :port are refused", () => {
        assert.deepEqual(problems(minimal({ roles: { web: { hosts: ["deploy@web1.example.com"] } } })), [
            'roles.web.hosts[0]: host must be a hostname or IP address (no user@, no :port: set ssh.user and ssh.port instead) (got "deploy@web1.example.com")',
        ]);
        assert.deepEqual(problems(minimal({ roles: { web: { hosts: [{ host: "web1:2222" }] } } })), [
            'roles.web.hosts[0].host: host must be a hostname or IP address (no user@, no :port: set ssh.user and ssh.port instead) (got "web1:2222")',
        ]);
    });

    it("accepts hostnames, IPv4, IPv6 and localhost", () => {
        const hosts = ["localhost", "web-1.example.com", "10.0.0.1", "::1", "[fe80::1]", "2001:db8::5"];
        assert.deepEqual(parseAppConfig("demo", minimal({ roles: { web: { hosts } } })).roles.web.hosts, hosts);
    });

    it("a role needs a host", () => {
        assert.deepEqual(problems(minimal({ roles: { web: { hosts: [] } } })), ["roles.web.hosts: a role needs at least one host (got [])"]);
    });

    it("a bad role name is reported at its path with its value", () => {
        const [problem, ...rest] = problems(minimal({ roles: { web: { hosts: ["h"] }, "Bad Role": { hosts: ["h"] } } }));
        assert.deepEqual(rest, []);
        assert.ok(problem.startsWith("roles.Bad Role: "), problem);
        assert.ok(problem.endsWith('(got "Bad Role")'), problem);
    });

    it("empty roles", () => {
        assert.deepEqual(problems(minimal({ roles: {} })), ["roles: at least one role is needed (got {})"]);
    });

    it("a bad role or env name gets its own message, not zod's generic one", () => {
        assert.deepEqual(problems(minimal({ roles: { "Bad Role": { hosts: ["a"] } } })).filter((p) => p.startsWith("roles.Bad Role")),
            ['roles.Bad Role: role name must be lowercase letters, digits, \'-\' or \'_\' (starting with a letter or digit) (got "Bad Role")']);
        assert.match(problems(minimal({ env: { clear: { "1BAD": "x" } } }))[0], /^env\.clear\.1BAD: env names are letters, digits and '_'/);
    });

    it("rejects host:port even when the host looks like hex (db:2222), and accepts IPv6", () => {
        for (const bad of ["db:2222", "cafe:22", "[::1"]) assert.equal(problems(minimal({ roles: { web: { hosts: [bad] } } })).length, 1, bad);
        for (const good of ["::1", "fe80::1", "[2001:db8::1]", "10.0.0.1", "web-1.example.com"]) assert.doesNotThrow(() => parseAppConfig("demo", minimal({ roles: { web: { hosts: [good] } } })), good);
    });

    it("a bad role name keeps its role: the rules across roles still see it", () => {
        const p = problems(minimal({ primaryRole: "Web", roles: { Web: { hosts: ["a"] }, jobs: { hosts: ["b"], hooks: { postAppBoot: { command: "x", when: "paused" } } } } }));
        assert.equal(p.length, 2, p.join("\n"));
        assert.match(p[0], /^roles\.Web: role name must be lowercase/);
        assert.match(p[1], /^roles\.jobs\.hooks\.postAppBoot\.when: "paused" holds kamal-proxy traffic, but role "jobs" is not behind kamal-proxy/);
    });
});
