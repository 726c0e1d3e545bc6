// web + worker on two SSH hosts behind kamal-proxy. The hosts and the SSH key
// come from the infra stack (./infra) through a StackReference; the registry
// password and the app's secret from this stack's encrypted config.
import * as pulumi from "@pulumi/pulumi";
import { KamalApp } from "pulumi-kamal";

const config = new pulumi.Config();
// e.g. organization/web-worker-infra/dev
const infra = new pulumi.StackReference(config.require("infraStack"));

export = async () => {
    // Host names and keys name resources and pin host keys, so they are read as values.
    const webHost = (await infra.requireOutputValue("webHost")) as string;
    const workerHost = (await infra.requireOutputValue("workerHost")) as string;
    const hostKeys = (await infra.requireOutputValue("hostKeys")) as Record<string, string>;
    const sshUser = (await infra.requireOutputValue("sshUser")) as string;

    const app = new KamalApp("web-worker", {
        service: "web-worker",
        image: config.require("image"),
        roles: {
            web: {
                hosts: [webHost],
                // In web's new container, before kamal-proxy sends it any request.
                hooks: { postAppBoot: { command: "/app/bin/migrate", runOn: "primary" } },
            },
            // Boots once web's hook succeeded.
            worker: { hosts: [workerHost], cmd: "/app/bin/worker" },
        },
        ssh: { user: sshUser, privateKey: infra.requireOutput("sshPrivateKey") as pulumi.Output<string>, hostKeys },
        registry: {
            server: config.require("registryServer"),
            username: config.require("registryUser"),
            password: config.requireSecret("registryPassword"),
        },
        env: {
            clear: { GREETING: "hello from web-worker" },
            secret: { API_TOKEN: config.requireSecret("apiToken") },
        },
        readinessDelay: 1,
        deployTimeout: 20,
        drainTimeout: 2,
    });

    return {
        url: `http://${webHost}/version`,
        containers: pulumi.all(Object.values(app.roles).flatMap((r) => r.containers.map((c) => c.containerName))),
        hookRuns: pulumi.all(app.roles.web.hooks.map((h) => h.runs)),
    };
};
