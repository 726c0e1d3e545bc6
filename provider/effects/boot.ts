/**
 * A role's container on one host: booted (pull, Kamal's image tag, env file,
 * certificate, `docker run`, health) without taking traffic, and removed on
 * destroy. The sequences behind ../resources/role-container.ts.
 */
import { randomBytes } from "node:crypto";
import * as docker from "../commands/docker";
import { absoluteImage, containerHostname, kamalEnv } from "../commands/kamal";
import type { RoleContainerInputs, RoleContainerOutputs } from "../resources/role-container";
import { run } from "../transport";
import { traced } from "../trace";
import { progress, sleep, transport } from "./common";
import { envFilePath, listRole, sameContainer, startContainer, waitHealthy, writeEnvFile } from "./containers";
import { envFileDigest } from "./drift";
import { prepareHost } from "./host-setup";
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
    progress(`[${inputs.role}@${t.host}] starting ${name}`);
    const audited = audit(t, inputs, `Booted app version ${inputs.version}`);
    const hostname = containerHostname(inputs.connection.host, randomBytes(6).toString("hex"));
    const id = await step("start", () => startContainer(t, runSpec(inputs, envFile, { image: runImage, hostname })));
    await audited;
    try {
        await step("healthy", () => waitHealthy(t, id, inputs.health, Object.values(inputs.secretEnv ?? {})));
    } catch (e) {
        // Leave it stopped for `docker logs`; it never took traffic. A retry removes it.
        await t.exec(docker.stop(id, 1)).catch(() => undefined); // the host may be the failure: keep its error
        throw e;
    }
    progress(`[${inputs.role}@${t.host}] ${name} is healthy`);
    return { ...inputs, containerId: id, containerName: name, healthyAt: Date.now(), runImage, envFileSha256: envFileDigest(inputs.secretEnv), drift: [] };
}

/**
 * Replaced by a newer container: keep this one stopped for rollback (the
 * traffic switch already stopped it and prunes past retainContainers).
 * Destroyed (no successor running): remove it and the role's retained ones.
 */
export async function retireContainer(id: string, olds: RoleContainerOutputs): Promise<void> {
    const t = transport(olds.connection);
    const role = { service: olds.service, role: olds.role, destination: olds.destination };
    const containers = await listRole(t, role);
    const successor = containers.some((c) => c.state === "running" && !sameContainer(c.id, id));
    if (successor) {
        // The listing already has its state: no inspect per replaced container.
        const own = containers.find((c) => sameContainer(c.id, id));
        if (own && ["running", "restarting", "paused"].includes(own.state)) await run(t, docker.stop(id));
        return;
    }
    const ids = containers.filter((c) => c.state !== "running" || sameContainer(c.id, id)).map((c) => c.id);
    if (!ids.includes(id)) ids.push(id);
    await t.exec(docker.remove(...ids));
    await t.exec(docker.removeFile(envFilePath(olds.service, olds.role, olds.destination)));
}
