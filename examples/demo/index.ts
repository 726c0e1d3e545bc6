// Entry point for `pulumi up` with the official Pulumi CLI (Pulumi.yaml at the repository root).
import * as pulumi from "@pulumi/pulumi";
import { demoProgram } from "./program";

const config = new pulumi.Config();
export = demoProgram({
    image: config.get("image") ?? "pulumi-kamal/demo-app:v1",
    httpPort: config.getNumber("httpPort") ?? 8080,
})();
