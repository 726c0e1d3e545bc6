/**
 * A role's container on one host: booted (pull, Kamal's image tag, env file,
 * certificate, `docker run`, health) without taking traffic, and removed on
 * destroy. The sequences behind ../resources/role-container.ts.
 */
import { randomBytes } from "node:crypto";
import * as docker from "../commands/docker";
import { absoluteImage, containerHostname, kamalEnv } from "../commands/kamal";
import type { RoleContainerInputs, RoleContainerOutputs } from "../resources/role-container";
import { CommandError, run, Transport } from "../transport";
import { traced } from "../trace";
import { progress, sleep, transport } from "./common";
import { envFilePath, isLive, listRole, sameContainer, startContainer, waitHealthy, writeEnvFile } from "./containers";
import { envFileDigest } from "./drift";
import { prepareHost } from "./host-setup";
import { routedElsewhere } from "./proxy";
import { audit, ensureKamalImage, writeCertificate } from "./layout";

/** Kamal's container name: SERVICE-ROLE[-DESTINATION]-VERSION. */
export function containerName(i: Pick<RoleContainerInputs, "service" | "role" | "destination" | "version">): string {
    return [i.service, i.role, i.destination, i.version].filter(Boolean).join("-");
}

/** `docker run` for the container; `layout` gives Kamal's image reference and a `--hostname`. */
export function runSpec(i: RoleContainerInputs, envFile: string, layout: { image?: string; hostname?: string } = {}): docker.RunSpec {
    const name = containerName(i);
    return {
        name,
        image: layout.image ?? i.image,
        hostname: layout.hostname,
        cmd: i.cmd,
        env: { ...i.env, ...kamalEnv({ ...i, host: i.connection.host, containerName: name }) },
        envFile,
        labels: { ...i.labels, service: i.service, role: i.role, destination: i.destination ?? "" },
        volumes: i.volumes,
        logging: i.logging,
        options: i.options,
    };
}

/** Boots the role's new container and waits until it is healthy, without routing traffic to it. */
export async function bootContainer(inputs: RoleContainerInputs): Promise<RoleContainerOutputs> {
    const t = transport(inputs.connection);
    const name = containerName(inputs);
    if (inputs.bootDelay) await sleep(inputs.bootDelay * 1000);
    const step = <T>(what: string, fn: () => Promise<T>) => traced(`container/${inputs.role}`, t.host, what, fn);
    await step("pull", () => prepareHost(t, inputs.image, inputs.registry));
    const runImage = await step("tag", () => ensureKamalImage(t, inputs.image, absoluteImage(inputs.image, inputs.version), inputs.service));
    const envFile = await step("env", () => writeEnvFile(t, envFilePath(inputs.service, inputs.role, inputs.destination), inputs.secretEnv));
    if (inputs.tlsCertificate) await step("certificate", () => writeCertificate(t, inputs, inputs.tlsCertificate!));
    const later = inputs.startAfterHook === true;
    progress(`[${inputs.role}@${t.host}] ${later ? "creating" : "starting"} ${name}`);
    const audited = audit(t, inputs, `Booted app version ${inputs.version}`);
    const hostname = containerHostname(inputs.connection.host, randomBytes(6).toString("hex"));
    const id = await step("start", () => startContainer(t, runSpec(inputs, envFile, { image: runImage, hostname }), !later));
    await audited;
    const outputs = { ...inputs, containerId: id, containerName: name, runImage, envFileSha256: envFileDigest(inputs.secretEnv), drift: [] };
    if (later) {
        progress(`[${inputs.role}@${t.host}] ${name} created; it starts once the hook holding it has run`);
        return { ...outputs, healthyAt: Date.now() };
    }
    try {
        await step("healthy", () => waitHealthy(t, id, inputs.health, Object.values(inputs.secretEnv ?? {})));
    } catch (e) {
        // Leave it stopped for `docker logs`; it never took traffic. A retry removes it.
        await t.exec(docker.stop(id, 1)).catch(() => undefined); // the host may be the failure: keep its error
        throw e;
    }
    progress(`[${inputs.role}@${t.host}] ${name} is healthy`);
    return { ...outputs, healthyAt: Date.now() };
}

/**
 * Replaced: a successor's traffic switch already stopped this container and
 * another one of the role runs; it stays, stopped, for rollback (pruned past
 * retainContainers). Otherwise this is a destroy: remove it with the role's
 * stopped containers and the running ones nothing routes to (left by an
 * interrupted deploy), and the env file; a container kamal-proxy routes the
 * role to, deployed by another state, stays with its env file.
 */
export async function retireContainer(id: string, olds: RoleContainerOutputs): Promise<void> {
    const t = transport(olds.connection);
    const role = { service: olds.service, role: olds.role, destination: olds.destination };
    const containers = await listRole(t, role);
    const ours = containers.find((c) => sameContainer(c.id, id));
    const others = containers.filter((c) => c !== ours);
    if (!(ours && isLive(ours)) && others.some((c) => c.state === "running")) return;
    const serving = olds.health.kind === "proxy" ? await routedElsewhere(t, olds.health.target.service, id).catch(() => undefined) : undefined;
    if (serving) {
        if (ours) await run(t, docker.remove(ours.id));
        progress(`[${olds.role}@${t.host}] ${serving.name}, which this stack did not deploy, serves the role: left in place`);
        return;
    }
    if (containers.length) await removeAll(t, containers.map((c) => c.id));
    const strays = others.filter(isLive);
    if (strays.length) progress(`[${olds.role}@${t.host}] removed ${strays.map((c) => c.name).join(", ")}, left running by an interrupted deploy`);
    await t.exec(docker.removeFile(envFilePath(olds.service, olds.role, olds.destination)));
}

/**
 * `docker rm --force` of a role's containers. A destroy deletes every state
 * entry of a role on a host at once (a replacement left pending by a failed
 * deploy is one), each removing the same containers: one already gone or
 * being removed by the other is what both wanted.
 */
async function removeAll(t: Transport, ids: string[]): Promise<void> {
    const argv = docker.remove(...ids);
    const r = await t.exec(argv);
    const raced = (line: string) => /No such container|is already in progress/i.test(line);
    if (r.code !== 0 && !r.stderr.split("\n").filter((l) => l.trim()).every(raced)) throw new CommandError(t.host, argv, r);
}
