/** config/sections/ssh.ts: ssh settings. */
import assert from "node:assert/strict";
import { minimal, problems } from "./helpers";

describe("ssh", () => {
    it("host key pins must be SHA256 fingerprints", () => {
        assert.deepEqual(problems(minimal({ ssh: { hostKeys: { "10.0.0.1": "MD5:aa" } } })), [
            'ssh.hostKeys.10.0.0.1: host key pins are OpenSSH SHA256 fingerprints: SHA256:... (got "MD5:aa")',
        ]);
    });
});
