/**
 * What `refresh` sees: each resource's read() compares the host with what
 * the state says serves, and reports every difference as a `drift` line.
 * A non-empty `drift` makes the next `up` repair the resource (update),
 * saying what it repairs: a Kamal deploy or rollback in between, a container
 * removed or stopped by hand, a route changed, kamal-proxy gone, an env file
 * edited.
 */
import { createHash } from "node:crypto";
import * as docker from "../commands/docker";
import * as kamal from "../commands/kamal";
import * as proxyCmd from "../commands/proxy";
import { ContainerState, envFilePath, Health, inspect, othersRunning, RoleRef, waitHealthy, writeEnvFile } from "./containers";
import { run, Transport } from "../transport";
import { progress } from "./common";

export const envFileDigest = (secretEnv: Record<string, string>): string =>
    createHash("sha256").update(kamal.envFile(secretEnv ?? {})).digest("hex");

interface ContainerProps extends RoleRef {
    containerName: string;
    /** Created, waiting for the hook that holds it: "created" is its expected state. */
    startAfterHook?: boolean;
    secretEnv: Record<string, string>;
    envFileSha256?: string;
}

/** A held role's container created by a deploy whose hook has not run yet: starting it would run new code on the old schema. */
const waiting = (p: ContainerProps, state: ContainerState) => p.startAfterHook === true && state.status === "created";

/** The container's drift, or undefined when it is gone. */
export async function readContainer(t: Transport, id: string, p: ContainerProps): Promise<{ drift: string[] } | undefined> {
    const state = await inspect(t, id);
    if (!state) {
        progress(`drift: [${p.role}@${t.host}] container ${p.containerName} is gone; the next up boots it again`);
        return undefined;
    }
    const drift: string[] = [];
    if (!state.running && !waiting(p, state)) drift.push(`container ${p.containerName} is ${state.status}`);
    const path = envFilePath(p.service, p.role, p.destination);
    const digest = await t.exec(kamal.fileDigest(path));
    if (digest.code !== 0) drift.push(`env file ${path} is missing`);
    else if (p.envFileSha256 && digest.stdout.trim().split(/\s+/)[0] !== p.envFileSha256) drift.push(`env file ${path} was changed`);
    for (const d of drift) progress(`drift: [${p.role}@${t.host}] ${d}`);
    return { drift };
}

/** Puts the env file back and restarts a stopped container (same container, no new version). */
export async function repairContainer(t: Transport, id: string, p: ContainerProps & { health: Health }): Promise<void> {
    progress(`[${p.role}@${t.host}] repairing ${p.containerName}: rewriting its env file, starting it if stopped`);
    await writeEnvFile(t, envFilePath(p.service, p.role, p.destination), p.secretEnv);
    const state = await inspect(t, id);
    if (state && !state.running && !waiting(p, state)) {
        await run(t, docker.start(id));
        await waitHealthy(t, id, p.health, Object.values(p.secretEnv ?? {}));
    }
}

interface SwitchProps extends RoleRef {
    containerId: string;
    containerName: string;
    proxy?: { service: string; appPort: number };
}

/**
 * A traffic switch's drift: kamal-proxy gone or not routing the role to our
 * container (a Kamal deploy/rollback, a hand edit), or another container of
 * the role running beside ours.
 */
export async function readSwitch(t: Transport, p: SwitchProps): Promise<string[]> {
    const drift: string[] = [];
    if (p.proxy) {
        const expected = proxyCmd.upstream(p.containerId, p.proxy.appPort);
        const listed = await t.exec(proxyCmd.list());
        if (listed.code !== 0) {
            drift.push(`kamal-proxy is not running, so ${p.proxy.service} serves nothing`);
        } else {
            const route = proxyCmd.parseProxyList(listed.stdout)[p.proxy.service];
            if (!route) drift.push(`kamal-proxy has no route ${p.proxy.service}`);
            else if (route.target !== expected) drift.push(`kamal-proxy routes ${p.proxy.service} to ${route.target}, not ${p.containerName} (${expected})`);
            // "stopped" is `kamal app maintenance`, a choice; a pause left behind is a fault.
            else if (route.state === "paused") drift.push(`kamal-proxy's route ${p.proxy.service} is paused`);
        }
    }
    const others = await othersRunning(t, p, p.containerId);
    if (others.length) drift.push(`other containers of the role run: ${others.map((c) => c.name).join(", ")}`);
    for (const d of drift) progress(`drift: [${p.role}@${t.host}] ${d}`);
    return drift;
}

/** kamal-proxy's drift: gone or stopped. */
export async function readProxy(t: Transport): Promise<string[]> {
    const state = await inspect(t, proxyCmd.PROXY_CONTAINER);
    const drift = !state ? ["kamal-proxy is gone"] : !state.running ? [`kamal-proxy is ${state.status}`] : [];
    for (const d of drift) progress(`drift: [${t.host}] ${d}`);
    return drift;
}
