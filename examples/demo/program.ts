/**
 * The demo app: web + worker on this machine's Docker engine behind
 * kamal-proxy, with web's migration as a role-scoped post-app-boot hook.
 */
import * as pulumi from "@pulumi/pulumi";
import { KamalApp } from "../../index";

export interface DemoOptions {
    image: string;
    httpPort: number;
}

/** What `npm run demo` deploys: the test app that scripts/testbed/app-images.sh --local builds. */
export const DEMO_DEFAULTS: DemoOptions = { image: "pulumi-kamal/testapp:v1", httpPort: 8080 };

export function demoProgram(opts: DemoOptions) {
    return async () => {
        const app = new KamalApp("demo", {
            service: "demo",
            image: opts.image,
            roles: {
                web: {
                    hosts: ["localhost"],
                    hooks: { postAppBoot: "/app/bin/migrate" }, // runs in web's new container before it takes traffic
                },
                worker: { hosts: ["localhost"], cmd: "/app/bin/worker" }, // boots after web's hook succeeded
            },
            volumes: ["demo-data:/data"],
            env: { clear: { GREETING: "hello from pulumi-kamal" }, secret: { API_TOKEN: pulumi.secret("demo-token") } },
            proxyPorts: { http: opts.httpPort, https: opts.httpPort + 363 },
            readinessDelay: 2,
        });
        return {
            url: `http://localhost:${opts.httpPort}/version`,
            containers: pulumi.all(Object.values(app.roles).flatMap((r) => r.containers.map((c) => c.containerName))),
        };
    };
}
