/**
 * The hook scenarios' app: web + worker on the test bed's two hosts, a shared
 * "database" (test/app's /db routes) in a container on the outer engine, and
 * v2 of the app needing schema 2.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { KamalApp } from "../../index";
import type { RoleConfig } from "../../config/schema";
import { get, testbed, Testbed } from "./harness";

type HookSpec = NonNullable<NonNullable<RoleConfig["hooks"]>["postAppBoot"]> | string | string[] | Record<string, unknown>;

export interface Scenario {
    version: string;
    webHook?: HookSpec;
    workerHook?: HookSpec;
    workerBootAfter?: string[];
    /** Extra docker run options for the worker (e.g. a slow health check). */
    workerOptions?: Record<string, string | boolean>;
    workerCmd?: string[];
    env?: Record<string, string>;
}

/** The environment test/fixtures' deploy.yml (its ERB) and .kamal/secrets read. */
export function deployYmlEnv(tb: Testbed, db: SharedDb, tokenSeed: string, image = `${tb.appImage}:v2`): Record<string, string> {
    return {
        PK_E2E_IMAGE: image,
        PK_E2E_HOST1: tb.hosts[0],
        PK_E2E_HOST2: tb.hosts[1],
        PK_E2E_REGISTRY: tb.registry,
        PK_E2E_REGISTRY_USER: tb.registryUser ?? "",
        PK_E2E_REGISTRY_PASSWORD: tb.registryPassword ?? "",
        PK_E2E_SSH_USER: tb.user,
        PK_E2E_SSH_KEY: tb.keyPath,
        PK_E2E_KNOWN_HOSTS: tb.knownHosts,
        PK_E2E_DB_URL: db.url,
        PK_E2E_TOKEN_SEED: tokenSeed,
    };
}

export class SharedDb {
    readonly url: string;
    private readonly name: string;

    constructor(tb: Testbed, readonly port: number) {
        const bridge = tb.registry.split(":")[0];
        this.name = `pk-e2e-db-${port}`;
        this.url = `http://${bridge}:${port}/db`;
        this.start(bridge);
    }

    private start(bridge: string) {
        execFileSync("docker", ["rm", "-f", this.name], { stdio: "ignore" });
        execFileSync("docker", ["run", "-d", "--name", this.name, "-p", `${bridge}:${this.port}:80`, "pulumi-kamal/testapp:v1"], { stdio: "ignore" });
    }

    async schema(): Promise<string> {
        return (await get(`${this.url}/schema`)).body.trim();
    }

    async setSchema(n: number): Promise<void> {
        execFileSync("curl", ["-s", "-o", "/dev/null", "--data", String(n), `${this.url}/schema`]);
    }

    /** Lines the migrate script logged: one per hook run. */
    async migrations(): Promise<string[]> {
        return (await get(`${this.url}/log`)).body.split("\n").filter((l) => l.trim());
    }

    remove() {
        execFileSync("docker", ["rm", "-f", this.name], { stdio: "ignore" });
    }
}

/** A program for the scenario; `current` is read at each `up`, so tests change it between runs. */
export function hookApp(tb: Testbed, db: SharedDb, current: () => Scenario) {
    return async () => {
        const s = current();
        const app = new KamalApp("shop", {
            service: "shop",
            image: `${tb.appImage}:${s.version}`,
            roles: {
                web: { hosts: tb.hosts.slice(0, 2), ...(s.webHook ? { hooks: { postAppBoot: s.webHook as never } } : {}) },
                worker: {
                    hosts: tb.hosts.slice(0, 2),
                    cmd: s.workerCmd ?? ["/app/bin/worker"],
                    ...(s.workerBootAfter ? { bootAfter: s.workerBootAfter } : {}),
                    ...(s.workerOptions ? { options: s.workerOptions } : {}),
                    ...(s.workerHook ? { hooks: { postAppBoot: s.workerHook as never } } : {}),
                },
            },
            ssh: { user: tb.user, privateKey: pulumi.secret(fs.readFileSync(tb.keyPath, "utf8")), knownHosts: tb.knownHosts },
            registry: tb.registryUser ? { server: tb.registry, username: tb.registryUser, password: pulumi.secret(tb.registryPassword!) } : undefined,
            env: { clear: { DB_URL: db.url, ...s.env } },
            readinessDelay: 1,
            deployTimeout: 15,
            drainTimeout: 2,
            retainContainers: 2,
        });
        return {
            hookRuns: pulumi.all(app.roles.web.hooks.map((h) => h.runs)),
            webHealthyAt: pulumi.all(app.roles.web.containers.map((c) => c.healthyAt)),
            workerHealthyAt: pulumi.all(app.roles.worker.containers.map((c) => c.healthyAt)),
        };
    };
}

export { testbed };
