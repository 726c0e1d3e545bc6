// Entry point for `pulumi up` with the official Pulumi CLI (Pulumi.yaml at the repository root).
import * as pulumi from "@pulumi/pulumi";
import { DEMO_DEFAULTS, demoProgram } from "./program";

const config = new pulumi.Config();
export = demoProgram({
    image: config.get("image") ?? DEMO_DEFAULTS.image,
    httpPort: config.getNumber("httpPort") ?? DEMO_DEFAULTS.httpPort,
})();
