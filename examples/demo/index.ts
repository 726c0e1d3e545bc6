// The demo: web + worker on this machine's Docker engine behind kamal-proxy,
// with web's migration as a role-scoped post-app-boot hook.
import * as pulumi from "@pulumi/pulumi";
import { KamalApp } from "pulumi-kamal";

const config = new pulumi.Config();
// The test app that scripts/testbed/app-images.sh --local builds.
const image = config.get("image") ?? "pulumi-kamal/testapp:v1";
const httpPort = config.getNumber("httpPort") ?? 8080;

const app = new KamalApp("demo", {
    service: "demo",
    image,
    roles: {
        web: {
            hosts: ["localhost"],
            hooks: { postAppBoot: "/app/bin/migrate" }, // runs in web's new container before it takes traffic
        },
        worker: { hosts: ["localhost"], cmd: "/app/bin/worker" }, // boots after web's hook succeeded
    },
    volumes: ["demo-data:/data"],
    env: { clear: { GREETING: "hello from pulumi-kamal" }, secret: { API_TOKEN: pulumi.secret("demo-token") } },
    proxyPorts: { http: httpPort, https: httpPort + 363 },
    readinessDelay: 2,
});

export const url = `http://localhost:${httpPort}/version`;
export const containers = pulumi.all(Object.values(app.roles).flatMap((r) => r.containers.map((c) => c.containerName)));
