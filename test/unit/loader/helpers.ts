/** Shared helpers for the deploy.yml loader tests. */
import assert from "node:assert/strict";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { loadDeployConfig, LoadedDeployConfig, LoadOptions } from "../../../config/deploy-yml";
import { KamalConfigError, parseAppConfig } from "../../../config/validate";

/** test/fixtures/deploy-yml, from dist/test/unit/loader. */
export const FIXTURES = path.resolve(__dirname, "../../../../test/fixtures/deploy-yml");

export const fixture = (name: string) => path.join(FIXTURES, name);

/** A clean environment: the tests never see the developer's or CI's variables. */
export function testEnv(extra: Record<string, string> = {}): Record<string, string> {
    return { PATH: process.env.PATH ?? "/usr/bin:/bin", ...extra };
}

export function load(name: string, options: LoadOptions = {}): LoadedDeployConfig {
    return loadDeployConfig({ cwd: fixture(name), env: testEnv(), ...options });
}

/** The full error text a config is rejected with (fails the test when it loads). */
export function rejection(name: string, options: LoadOptions = {}): string {
    try {
        load(name, options);
    } catch (e) {
        assert.ok(e instanceof KamalConfigError, `expected KamalConfigError, got ${e}`);
        return e.message;
    }
    assert.fail(`${name} loaded without an error`);
}

/** The problem lines of an error message, without the heading. */
export function problemLines(message: string): string[] {
    return message.split("\n").slice(1).map((l) => l.replace(/^ {2}- /, ""));
}

/**
 * Resolve every Pulumi Output in a value, asserting each is a secret, and
 * replace it by `{ $secret: value }` so whole args compare with deepEqual.
 */
export async function reveal(value: unknown): Promise<unknown> {
    if (pulumi.Output.isInstance(value)) {
        const output = value as pulumi.Output<unknown> & { isSecret: Promise<boolean>; promise(): Promise<unknown> };
        assert.equal(await output.isSecret, true, "a value from a secret must be a Pulumi secret");
        return { $secret: await output.promise() };
    }
    if (Array.isArray(value)) return Promise.all(value.map(reveal));
    if (value && typeof value === "object") {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) out[k] = await reveal(v);
        return out;
    }
    return value;
}

export const secret = (value: string) => ({ $secret: value });

/** The problems a bad config is rejected with (fails the test when it is accepted). */
export function problems(args: unknown): string[] {
    try {
        parseAppConfig("demo", args);
    } catch (e) {
        assert.ok(e instanceof KamalConfigError, `expected KamalConfigError, got ${e}`);
        return e.problems;
    }
    assert.fail("config was accepted");
}
