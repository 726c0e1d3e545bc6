/** config/sections/container.ts: labels and docker run options, the same rules for TypeScript and deploy.yml. */
import assert from "node:assert/strict";
import { parseAppConfig } from "../../../config/validate";
import { minimal, problems, yamlProblems } from "./helpers";

const head = ["service: app", "image: registry.example.com/app:v1"];

describe("container", () => {
    it("destination, role and service are reserved labels, at the app and on a role", () => {
        const fix = "destination, role and service are reserved labels: pulumi-kamal sets them; remove this label";
        assert.deepEqual(problems(minimal({ labels: { role: "x", team: "a" }, roles: { web: { hosts: ["a"], labels: { service: "y" } } } })),
            [`roles.web.labels.service: ${fix}`, `labels.role: ${fix}`]);
        assert.deepEqual(yamlProblems([...head, "servers:", "  web:", "    hosts: [a]", "    labels:", "      destination: x", "labels:", "  team: a"]),
            [`config/deploy.yml:7: servers.web.labels.destination: ${fix}`]);
    });

    it("options.restart is a Docker restart policy", () => {
        const fix = 'should be no, always, unless-stopped, on-failure or on-failure:N (write "no" in quotes to disable restarts)';
        assert.deepEqual(problems(minimal({ roles: { web: { hosts: ["a"], options: { restart: "sometimes" } } } })), [`roles.web.options.restart: ${fix} (got "sometimes")`]);
        assert.deepEqual(problems(minimal({ roles: { web: { hosts: ["a"], options: { restart: false } } } })), [`roles.web.options.restart: ${fix} (got false)`]);
        for (const ok of ["no", "always", "unless-stopped", "on-failure", "on-failure:3"]) {
            assert.doesNotThrow(() => parseAppConfig("demo", minimal({ roles: { web: { hosts: ["a"], options: { restart: ok } } } })), ok);
        }
        // YAML's bare no is false: the hint says to quote it.
        assert.deepEqual(yamlProblems([...head, "servers:", "  web:", "    hosts: [a]", "    options:", "      restart: no"]),
            [`config/deploy.yml:7: servers.web.options.restart: ${fix} (got false)`]);
    });
});
