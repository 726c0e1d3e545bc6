/**
 * The service-wide pause's app: web and a second proxied role `api` (its own
 * proxy host name) and a worker, each on the test bed's first two hosts,
 * sharing one "database" (test/app's /db routes). v1 breaks on schema 2
 * (`LEGACY_MAX_SCHEMA=1`), v2 needs schema 2: a breaking change for every role.
 */
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { KamalApp } from "../../index";
import { HostedUrl, LoadReport, onHost, Testbed, waitFor } from "./harness";
import { SharedDb } from "./fixture";

export const API_HOST = "api.shop.test";

export interface RolesScenario {
    version: string;
    /** web's `paused` hook command; none: no hook. */
    hook?: string;
    /** The hook's `holds`; unset: the default (every proxied role). */
    holds?: string[];
    timeout?: number;
    /** Clear env for the worker only: a change that replaces no other role's containers. */
    workerEnv?: Record<string, string>;
}

export function threeRoleApp(tb: Testbed, db: SharedDb, current: () => RolesScenario) {
    return async () => {
        const s = current();
        const hosts = tb.hosts.slice(0, 2);
        const app = new KamalApp("shop", {
            service: "shop",
            image: `${tb.appImage}:${s.version}`,
            roles: {
                web: {
                    hosts,
                    ...(s.hook ? { hooks: { postAppBoot: { command: s.hook, when: "paused", timeout: s.timeout ?? 60, ...(s.holds ? { holds: s.holds } : {}) } } } : {}),
                },
                api: { hosts, proxy: { host: API_HOST } },
                worker: { hosts, cmd: ["/app/bin/worker"], ...(s.workerEnv ? { env: { clear: s.workerEnv } } : {}) },
            },
            ssh: { user: tb.user, privateKey: pulumi.secret(fs.readFileSync(tb.keyPath, "utf8")), knownHosts: tb.knownHosts },
            registry: tb.registryUser ? { server: tb.registry, username: tb.registryUser, password: pulumi.secret(tb.registryPassword!) } : undefined,
            env: { clear: { DB_URL: db.url, LEGACY_MAX_SCHEMA: "1" } },
            readinessDelay: 1,
            deployTimeout: 15,
            drainTimeout: 2,
            retainContainers: 2,
        });
        return { hookRuns: pulumi.all(app.roles.web.hooks.map((h) => h.runs)) };
    };
}

/** One request loop per role and host: web by the host's address, api by its proxy host name. */
export function roleUrls(tb: Testbed): (string | HostedUrl)[] {
    const hosts = tb.hosts.slice(0, 2);
    return [...hosts.map((h) => `http://${h}/version`), ...hosts.map((h) => ({ url: `http://${h}/version`, host: API_HOST }))];
}

/** Failed and served requests per role and host, from a report of the loops above. */
export function perRoleHost(tb: Testbed, report: LoadReport): Record<string, { failed: number; served: number; versions: Record<string, number> }> {
    const out: Record<string, { failed: number; served: number; versions: Record<string, number> }> = {};
    for (const s of report.samples) {
        const host = new URL(s.url.split(" ")[0]).hostname;
        const key = `${s.url.includes(API_HOST) ? "api" : "web"}@${host}`;
        const row = (out[key] ??= { failed: 0, served: 0, versions: {} });
        if (s.status >= 200 && s.status < 300) {
            row.served++;
            row.versions[s.body] = (row.versions[s.body] ?? 0) + 1;
        } else row.failed++;
    }
    return out;
}

/** A container's Docker start and finish times (ms), as the host sees them. */
export function containerTimes(tb: Testbed, host: string, name: string): { startedAt: number; finishedAt: number; running: boolean } {
    const [started, finished, running] = onHost(tb, host, `docker inspect --format '{{.State.StartedAt}} {{.State.FinishedAt}} {{.State.Running}}' ${name}`).trim().split(" ");
    return { startedAt: Date.parse(started), finishedAt: Date.parse(finished), running: running === "true" };
}

/** A deploy killed outright keeps its lock until its lease runs out; the next deploy waits for that. */
export async function lockLeaseOver(tb: Testbed, primary: string): Promise<void> {
    await waitFor("the killed deploy's lock lease to run out", async () => {
        const expires = /Expires: (\d+)/.exec(onHost(tb, primary, "cat ~/.kamal/locks/shop/details 2>/dev/null | base64 -d; true"));
        return !expires || Number(expires[1]) * 1000 < Date.now() ? true : undefined;
    }, 120_000);
}
