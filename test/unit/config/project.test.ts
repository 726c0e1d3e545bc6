/** config/project.ts: where a project's root is, for the loader and the CLI alike. */
import assert from "node:assert/strict";
import * as path from "node:path";
import { projectRoot } from "../../../config/project";

describe("projectRoot", () => {
    it("is the directory holding config/ when the file is in config/, else cwd", () => {
        assert.equal(projectRoot(path.join("/p", "config", "deploy.yml"), "/elsewhere"), "/p");
        assert.equal(projectRoot(path.join("/p", "config", "deploy.staging.yml"), "/elsewhere"), "/p");
        assert.equal(projectRoot(path.join("/p", "deploy", "deploy.yml"), "/cwd"), "/cwd");
        assert.equal(projectRoot("/deploy.yml", "/cwd"), "/cwd");
    });
});
