/** common/: the pure helpers config/ and provider/ share. */
import assert from "node:assert/strict";
import * as os from "node:os";
import * as path from "node:path";
import { expandHome } from "../../../common/home";
import { IMAGE_REF } from "../../../common/image";

describe("common", () => {
    it("expandHome expands ~ and ~/ only", () => {
        assert.equal(expandHome("~"), os.homedir());
        assert.equal(expandHome("~/.ssh/id_ed25519"), path.join(os.homedir(), ".ssh/id_ed25519"));
        assert.equal(expandHome("/etc/ssh/key"), "/etc/ssh/key");
        assert.equal(expandHome("~other/key"), "~other/key");
        assert.equal(expandHome("keys/~/x"), "keys/~/x");
    });

    it("IMAGE_REF accepts Docker references and rejects what docker pull would", () => {
        for (const ok of ["nginx", "acme/shop:1.2", "ghcr.io/acme/shop:abc", "localhost:5000/a/b@sha256:" + "a".repeat(64), "[::1]:5000/x"]) {
            assert.ok(IMAGE_REF.test(ok), ok);
        }
        for (const bad of ["", "acme/Shop", "acme/shop:", "acme//shop", "acme/shop@sha256:xyz"]) assert.ok(!IMAGE_REF.test(bad), bad);
    });
});
