// A Kamal project's config/deploy.yml deployed as a Pulumi program. The image
// tag is this stack's config, so `pulumi config set imageTag v2 && pulumi up`
// is the deploy; Kamal's VERSION variable carries it into deploy.yml's image.
import * as pulumi from "@pulumi/pulumi";
import { KamalApp } from "pulumi-kamal";

const config = new pulumi.Config();

const app = KamalApp.fromDeployYml("hello-yml", {
    cwd: __dirname,
    env: { ...process.env, VERSION: config.require("imageTag") },
});

export const roles = Object.keys(app.roles);
export const containers = pulumi.all(Object.values(app.roles).flatMap((r) => r.containers.map((c) => c.containerName)));
