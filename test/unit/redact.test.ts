/** Masking secret values in output the user sees. */
import assert from "node:assert/strict";
import { MASK, redactor } from "../../provider/redact";

describe("redactor", () => {
    it("masks every occurrence of each value, the longest first", () => {
        const mask = redactor(["s3cret", "s3cret-and-more"]);
        assert.equal(mask("a s3cret-and-more b s3cret s3cret"), `a ${MASK} b ${MASK} ${MASK}`);
    });

    it("masks each long line of a multi-line value (a PEM key printed line by line)", () => {
        const pem = "-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END KEY-----";
        assert.equal(redactor([pem])("got MIIEvQIBADANBgkqhkiG9w0BAQEFAASC here"), `got ${MASK} here`);
        assert.equal(redactor([pem])(pem), MASK);
    });

    it("leaves text alone without secrets, and ignores values too short to mean anything", () => {
        assert.equal(redactor()("plain"), "plain");
        assert.equal(redactor(["1", "ab", ""])("1 ab"), "1 ab");
        assert.equal(redactor(["abcd"])("abcd"), MASK);
    });

    it("treats values literally, not as patterns", () => {
        assert.equal(redactor(["a.b*c(d"])("xa.b*c(dx axbbbcd"), `x${MASK}x axbbbcd`);
    });
});
