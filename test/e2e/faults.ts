/**
 * Issue 11 §7: faults injected into a real deploy (real engine, SSH hosts,
 * kamal-proxy, registry), each measured the same way: what the user saw,
 * failed requests while it happened, time from the fault to the end of the
 * deploy, whether a route was left paused, and the time the next plain `up`
 * takes to converge. Shared by test/e2e/faults.test.ts (which asserts the
 * promises) and bench/faults.ts (which writes RELIABILITY.md).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { KamalApp } from "../../index";
import { get, hostContainer, onHost, onHostAsync, requestLoop, Testbed, testStack, TestStack, waitFor } from "./harness";

const SERVICE = "faulty";
/** Seconds the web role's before-traffic hook runs: the window most faults aim at. */
const HOOK_SECONDS = 10;

export interface FaultContext {
    tb: Testbed;
    stack: TestStack;
    /** The version this deploy moves to (v1 and v3 alternate, both plain). */
    target: string;
    /** Aborting it sends SIGINT to the Pulumi CLI, as Ctrl-C does. */
    interrupt: AbortController;
}

export interface Fault {
    name: string;
    /** Promised: no request fails while it happens (the old version keeps serving). */
    zeroFailures: boolean;
    /** Whether the deploy must fail (else it may fail or succeed, as long as it converges). */
    mustFail: boolean;
    /** Waits for its moment during `up`, then injects; resolves with the time of injection. */
    inject(ctx: FaultContext): Promise<number>;
    /** Undoes what the fault broke outside our control (a registry brought back up). */
    heal?(ctx: FaultContext): Promise<void>;
}

export interface FaultOutcome {
    fault: string;
    /** The first line of the deploy's error, or "deploy succeeded". */
    saw: string;
    failedRequests: number;
    requests: number;
    secondsToFail: number;
    /** Routes left paused on any host after the failed deploy. */
    pausedRoutes: string[];
    secondsToConverge: number;
    /** What each host serves after the next `up`. */
    servedAfter: string[];
    /** Running web containers per host after the next `up` (1 when nothing leaked). */
    runningAfter: number[];
    /** kamal-proxy routes of the service other than the role's own, after the next `up` (e.g. a health check's). */
    leftoverRoutes: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Kills every SSH session on the host: the provider's connection drops mid-command. */
const cutSsh = (tb: Testbed, host: string) => onHostAsync(tb, host, "pkill -f '^sshd: [a-z_][a-z0-9_-]*@' ; true").catch(() => undefined);

const runningWeb = (tb: Testbed, host: string, version: string) =>
    onHost(tb, host, `docker ps --filter label=service=${SERVICE} --filter label=role=web --filter status=running --format '{{.Names}}'`)
        .split("\n").includes(`${SERVICE}-web-${version}`);

/** Resolves once the target's web container runs on the first host, plus `afterMs`. */
async function whenBooted(ctx: FaultContext, afterMs: number): Promise<number> {
    await waitFor("the new web container", async () => (runningWeb(ctx.tb, ctx.tb.hosts[0], ctx.target) ? true : undefined), 90_000);
    await sleep(afterMs);
    return Date.now();
}

/**
 * The registry refuses the deploy's hosts, as a stopped registry would, without
 * stopping the one registry that tests running beside this one pull from.
 */
const registryRefused = (tb: Testbed, refused: boolean): void => {
    const [ip, port = "443"] = tb.registry.split(":");
    for (const host of tb.hosts.slice(0, 2)) {
        execFileSync("docker", ["exec", hostContainer(host), "iptables", refused ? "-I" : "-D", "OUTPUT", "-p", "tcp", "-d", ip, "--dport", port,
            "-j", "REJECT", "--reject-with", "tcp-reset"], { stdio: ["ignore", "ignore", "inherit"] });
    }
};

export const FAULTS: Fault[] = [
    {
        name: "SSH connection cut mid-hook",
        zeroFailures: true,
        mustFail: true,
        inject: async (ctx) => {
            const at = await whenBooted(ctx, 3000);
            await cutSsh(ctx.tb, ctx.tb.hosts[0]);
            return at;
        },
    },
    {
        name: "Ctrl-C during the hook",
        zeroFailures: true,
        mustFail: true,
        inject: async (ctx) => {
            const at = await whenBooted(ctx, 3000);
            ctx.interrupt.abort();
            return at;
        },
    },
    {
        name: "SSH connection cut mid-switch",
        zeroFailures: true,
        mustFail: false,
        inject: async (ctx) => {
            // The switch is over in about a second: a watcher on the host cuts the sessions the moment it starts.
            const watch = `end=$(( $(date +%s) + 120 )); while [ $(date +%s) -lt $end ]; do ` +
                `if ps -eo args | grep -q '[k]amal-proxy deploy ${SERVICE}-web '; then pkill -f '^sshd: [a-z_][a-z0-9_-]*@'; exit 0; fi; sleep 0.05; done`;
            await onHostAsync(ctx.tb, ctx.tb.hosts[0], watch).catch(() => undefined);
            return Date.now();
        },
    },
    {
        name: "registry down during the pull",
        zeroFailures: true,
        mustFail: true,
        inject: async (ctx) => {
            registryRefused(ctx.tb, true);
            return Date.now();
        },
        heal: async (ctx) => registryRefused(ctx.tb, false),
    },
    {
        name: "kamal-proxy restarted mid-deploy",
        zeroFailures: false,
        mustFail: false,
        inject: async (ctx) => {
            const at = await whenBooted(ctx, 2000);
            await onHostAsync(ctx.tb, ctx.tb.hosts[0], "docker restart kamal-proxy >/dev/null");
            return at;
        },
    },
    {
        name: "provider killed between `docker run` and recording the container",
        zeroFailures: true,
        mustFail: true,
        inject: async (ctx) => {
            const at = await whenBooted(ctx, 0);
            ctx.stack.providerPids().forEach((pid) => process.kill(pid, "SIGKILL"));
            return at;
        },
    },
];

/** A web role on the test bed's two hosts behind kamal-proxy, with a before-traffic hook. */
export async function faultStack(tb: Testbed, current: () => string): Promise<TestStack> {
    return testStack("faults", async () => {
        new KamalApp(SERVICE, {
            service: SERVICE,
            image: `${tb.appImage}:${current()}`,
            roles: { web: { hosts: tb.hosts.slice(0, 2), hooks: { postAppBoot: `sleep ${HOOK_SECONDS}` } } },
            ssh: { user: tb.user, privateKey: pulumi.secret(fs.readFileSync(tb.keyPath, "utf8")), knownHosts: tb.knownHosts },
            registry: tb.registryUser ? { server: tb.registry, username: tb.registryUser, password: pulumi.secret(tb.registryPassword!) } : undefined,
            readinessDelay: 1,
            deployTimeout: 20,
            drainTimeout: 2,
        });
    });
}

/** The service's rows of `kamal-proxy list` on each host, plain text. */
const routes = (tb: Testbed): string[] => tb.hosts.slice(0, 2).flatMap((host) =>
    onHost(tb, host, "docker exec kamal-proxy kamal-proxy list 2>/dev/null || true").split("\n")
        .map((l) => l.replace(/\x1b\[[0-9;]*m/g, "").trim()).filter((l) => l.startsWith(SERVICE)).map((l) => `${host}: ${l}`));

/** The deploy lock a killed provider leaves lasts its lease: the documented way out is to wait. */
async function upOnceUnlocked(stack: TestStack): Promise<void> {
    const deadline = Date.now() + 90_000;
    for (;;) {
        try {
            await stack.up();
            return;
        } catch (e) {
            if (!/Deploy lock found/.test((e as Error).message) || Date.now() > deadline) throw e;
            await sleep(5000);
        }
    }
}

/** Moves the stack to the next version under `fault`, then lets a plain `up` converge. */
export async function runFault(tb: Testbed, stack: TestStack, fault: Fault, target: string): Promise<FaultOutcome> {
    const ctx: FaultContext = { tb, stack, target, interrupt: new AbortController() };
    const urls = tb.hosts.slice(0, 2).map((h) => `http://${h}/version`);
    const load = requestLoop(urls, 300_000, 30_000);
    const deploy = stack.up(ctx.interrupt.signal).then(() => undefined, (e: Error) => e);
    let injectedAt = Date.now();
    try {
        injectedAt = await fault.inject(ctx);
    } catch (e) {
        await deploy;
        await load.stop();
        throw e;
    }
    const error = await deploy;
    const endedAt = Date.now();
    const report = await load.stop();
    const pausedRoutes = routes(tb).filter((r) => /\bpaused\b/.test(r));
    await fault.heal?.(ctx);

    const started = Date.now();
    await upOnceUnlocked(stack);
    const secondsToConverge = (Date.now() - started) / 1000;
    const servedAfter = await Promise.all(urls.map(async (u) => (await get(u)).body.trim()));
    const runningAfter = tb.hosts.slice(0, 2).map((h) =>
        onHost(tb, h, `docker ps --filter label=service=${SERVICE} --filter label=role=web --filter status=running -q`).split("\n").filter(Boolean).length);
    return {
        fault: fault.name,
        saw: error ? firstLine(error.message) : "deploy succeeded",
        failedRequests: report.failed,
        requests: report.total,
        secondsToFail: (endedAt - injectedAt) / 1000,
        pausedRoutes,
        secondsToConverge,
        servedAfter,
        runningAfter,
        leftoverRoutes: routes(tb).filter((r) => r.split(/\s+/)[1] !== `${SERVICE}-web`),
    };
}

/** The line of a Pulumi error that names our failure (the engine wraps it in its own lines). */
function firstLine(message: string): string {
    const lines = message.split("\n").map((l) => l.trim()).filter(Boolean);
    const ours = (lines.find((l) => /error:|Error:/.test(l) && !/update failed|one or more errors/i.test(l)) ?? lines[0] ?? "").replace(/\x1b\[[0-9;]*m/g, "");
    // The engine prefixes the resource's progress line: keep what follows its "error: ".
    const at = ours.indexOf("error: ");
    return (at >= 0 ? ours.slice(at + "error: ".length) : ours).slice(0, 200);
}

/** Leaves the hosts without this suite's app, route or lock. */
export function cleanHosts(tb: Testbed): void {
    for (const host of tb.hosts.slice(0, 2)) {
        onHost(tb, host, `rm -rf .kamal/locks/${SERVICE}; docker rm -f $(docker ps -aq --filter label=service=${SERVICE}) >/dev/null 2>&1; ` +
            `docker exec kamal-proxy kamal-proxy remove ${SERVICE}-web >/dev/null 2>&1; true`);
    }
}
