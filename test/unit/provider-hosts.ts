/**
 * What the provider tests share: a fake host where every command succeeds
 * and no container exists yet (tests override what they need), the route
 * they deploy, and per-test fake hosts with provider progress captured.
 */
import * as registryCmd from "../../provider/commands/registry";
import type { RoleContainerInputs } from "../../provider/resources/role-container";
import { Call, captureStderr, connection, FakeHost, installHosts } from "./fakes";

export const PROXY_CLI = ["docker", "exec", "kamal-proxy", "kamal-proxy"];
export const hex = (c: string) => c.repeat(64);
export const NEW_ID = hex("a");
export const OLD_ID = hex("b");

export const route = {
    service: "app-web",
    hosts: ["app.example.com"],
    tls: false,
    deployTimeout: 30,
    drainTimeout: 30,
    healthcheck: { path: "/up", interval: 1, timeout: 5 },
    responseTimeout: 30,
};

/** Matches `docker container inspect ... <ref>`. */
export const inspecting = (ref: string) => (argv: string[]) => argv[1] === "container" && argv[2] === "inspect" && argv.at(-1) === ref;

/** The registry login: the host's Docker config read, then written with the credentials on stdin. */
export const isConfigRead = (a: readonly string[]) => a[0] === "sh" && a[2] === registryCmd.readDockerConfig()[2];
export const isLoginWrite = (a: readonly string[]) => a[0] === "sh" && a[2] === registryCmd.writeDockerConfig()[2];

/** A host where everything succeeds and no container exists yet; tests override what they need. */
export function dockerHost(name: string, log?: Call[]): FakeHost {
    return new FakeHost(name, log)
        .on(["docker", "network", "inspect"], { stdout: "kamal\n" })
        .on(["docker", "image", "inspect"], { stdout: 'sha256:1\t{"service":"app"}\n' })
        .on(["docker", "tag"], {})
        .on(["env", "DOCKER_BUILDKIT=0", "docker", "build"], { stdout: "sha256:2\n" })
        .on(["docker", "image", "ls"], { stdout: "" })
        .on(["docker", "image", "prune"], {})
        .on(["docker", "container", "ls"], { stdout: "" })
        .on(["docker", "pull"], {})
        .on(["docker", "container", "inspect"], { code: 1, stderr: "Error: No such container" })
        .on(["sh", "-c"], (argv) => ({ stdout: `/home/deploy/${argv[4]}` }))
        .on(isConfigRead, { stdout: "" })
        .on(isLoginWrite, {})
        .on(["docker", "run"], { stdout: `${NEW_ID}\n` })
        .on(["docker", "ps"], { stdout: "" })
        .on(["docker", "stop"], {})
        .on(["docker", "start"], {})
        .on(["docker", "rm"], {})
        .on(["docker", "rename"], {})
        .on(["docker", "logs"], {})
        .on([...PROXY_CLI, "deploy"], {})
        .on([...PROXY_CLI, "remove"], {})
        .on([...PROXY_CLI, "list"], { stdout: "Service Host Path Target State TLS\n" })
        .on((a) => a[1] === "exec" && a[3] === "sh" && a.at(-1)!.startsWith("/tmp/kamal-watchdog-"), {})
        .on((a) => a[2] === "inspect" && a[4]?.startsWith("{{.Config.Image}}") === true, { stdout: "basecamp/kamal-proxy:v0.9.2\t/home/kamal-proxy/.config/kamal-proxy /home/kamal-proxy/.apps-config \n" });
}


export let stderr: ReturnType<typeof captureStderr>;
let uninstall: (() => void) | undefined;

/** In the calling describe: each test's progress captured in `stderr`, and the hosts it `use`s removed after it. */
export function withFakeHosts(): void {
    beforeEach(() => { stderr = captureStderr(); });
    afterEach(() => {
        stderr.restore();
        uninstallHosts();
    });
}

export function uninstallHosts(): void {
    uninstall?.();
    uninstall = undefined;
}

export const use = (...hosts: FakeHost[]) => { uninstall = installHosts(hosts); };

/** A web role's container inputs on h1 with a registry, secrets and kamal-proxy health: what RoleContainer tests vary. */
export const roleInputs = (over: Partial<RoleContainerInputs> = {}): RoleContainerInputs => ({
    connection: connection("h1"),
    service: "app",
    role: "web",
    version: "v2",
    image: "registry.example.com/app:v2",
    cmd: ["bin/rails", "server"],
    env: { RAILS_ENV: "production" },
    secretEnv: { DATABASE_URL: "postgres://app:hunter2@db/app", SECRET_KEY_BASE: "sk-very-secret" },
    labels: { team: "core" },
    volumes: [],
    options: {},
    registry: { server: "registry.example.com", username: "bot", password: "reg-pa55" },
    health: { kind: "proxy", target: route, appPort: 3000 },
    ...over,
});
