/** deploy.yml messages: suggestions only for near misses, and YAML key names. */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { closest, didYouMean, loadDeployConfig, yamlWords } from "../../../config/deploy-yml";
import { KamalConfigError } from "../../../config/validate";
import { problemLines, testEnv } from "./helpers";

describe("deploy.yml messages", function () {
    it("suggests a value only when it is a likely typo", function () {
        assert.equal(closest("primry", ["primary", "all"]), "primary");
        assert.equal(closest("befor-traffic", ["before-traffic", "after-traffic", "paused"]), "before-traffic");
        assert.equal(closest("hsts", ["hosts", "cmd", "env"]), "hosts");
        assert.equal(closest("everywhere", ["primary", "all"]), undefined);
        assert.equal(closest("x", ["primary", "all"]), undefined);
        assert.equal(didYouMean("everywhere", ["primary", "all"]), "");
        assert.equal(didYouMean("Al", ["primary", "all"]), '; did you mean "all"?');
    });

    it("names fields by their deploy.yml keys, not the camelCase argument names", function () {
        assert.equal(yamlWords("deployTimeout must be more than 0 seconds"), "deploy_timeout must be more than 0 seconds");
        assert.equal(yamlWords("bootAfter forms a cycle: web -> jobs"), "boot_after forms a cycle: web -> jobs");
        assert.equal(yamlWords("healthcheck.path must start with '/'"), "healthcheck.path must start with '/'");
        assert.equal(yamlWords("proxyPorts and SHA256: stay"), "proxy.run and SHA256: stay");
    });

    it("a run_on far from any value gets no suggestion; the error names the key, the value and the choices", function () {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pk-msg-"));
        fs.mkdirSync(path.join(dir, "config"));
        fs.writeFileSync(path.join(dir, "config/deploy.yml"), [
            "service: shop", "image: acme/shop:1", "deploy_timeout: 0",
            "servers:", "  web:", "    hosts: [10.0.0.1]", "    hooks:", "      post-app-boot:", "        command: bin/migrate", "        run_on: everywhere", "",
        ].join("\n"));
        let error: unknown;
        try {
            loadDeployConfig({ cwd: dir, env: testEnv() });
        } catch (e) {
            error = e;
        }
        assert.ok(error instanceof KamalConfigError);
        const lines = problemLines(error.message);
        assert.ok(lines.some((l) => /run_on: should be one of primary, all \(got "everywhere"\)$/.test(l)), lines.join("\n"));
        assert.ok(lines.some((l) => /deploy_timeout: deploy_timeout must be more than 0 seconds/.test(l)), lines.join("\n"));
        assert.ok(!/did you mean/.test(error.message), error.message);
        assert.ok(!/deployTimeout|runOn/.test(error.message), error.message);
    });
});
