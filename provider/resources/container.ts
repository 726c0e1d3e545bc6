/**
 * One role's container on one host, booted and healthy but not yet serving:
 * the first link of the per-role chain container -> hook -> traffic switch.
 */
import { randomBytes } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import * as docker from "../commands/docker";
import { absoluteImage, containerHostname, TAG } from "../commands/kamal";
import { IMAGE_REF } from "../../common/image";
import {
    envFilePath, Health, inspect, listRole, prepareHost, Registry, sameContainer, startContainer, waitHealthy, writeEnvFile,
} from "../operations";
import { audit, ensureKamalImage, writeCertificate } from "../layout";
import { holdLock, LockSpec } from "../lock";
import { run, SshTarget } from "../transport";
import { traced } from "../trace";
import { envFileDigest, readContainer, repairContainer } from "./drift";
import { changedKeys, isUnknown, progress, transport } from "./common";

export interface ContainerInputs {
    connection: SshTarget;
    service: string;
    role: string;
    destination?: string;
    version: string;
    image: string;
    cmd?: string[];
    /** Clear env, passed as --env. */
    env: Record<string, string>;
    /** Secret env: only ever written to the 0600 env file. */
    secretEnv: Record<string, string>;
    labels: Record<string, string>;
    volumes: string[];
    options: Record<string, docker.DockerOptionValue>;
    logging?: { driver?: string; options?: Record<string, string> };
    registry?: Registry;
    health: Health;
    /** Seconds to wait before booting (Kamal's boot.wait, for host groups after the first). */
    bootDelay?: number;
    /** The role's custom certificate (secret), in place before any switch uses it (a `paused` hook switches first). */
    tlsCertificate?: { certificatePem: string; privateKeyPem: string };
    /** The deploy lock this resource's host changes wait for (absent in states written before it existed). */
    lock?: LockSpec;
}

export interface ContainerOutputs extends ContainerInputs {
    containerId: string;
    containerName: string;
    /** The image reference the container runs: Kamal's `REPO:VERSION`. */
    runImage?: string;
    /** SHA-256 of the env file as written (a secret output: it digests secret values). */
    envFileSha256?: string;
    /** What `refresh` found different on the host (empty when the host matches); the next `up` repairs it. */
    drift?: string[];
    /** When the health check passed (ms since epoch): the start of the hook's clock. */
    healthyAt: number;
}

/** Kamal's container name: SERVICE-ROLE[-DESTINATION]-VERSION. */
export function containerName(i: Pick<ContainerInputs, "service" | "role" | "destination" | "version">): string {
    return [i.service, i.role, i.destination, i.version].filter(Boolean).join("-");
}

/** Inputs that need a new container; anything else updates in place. */
const REPLACE_ON: (keyof ContainerInputs)[] = [
    "service", "role", "destination", "version", "image", "cmd", "env", "secretEnv", "labels", "volumes", "options", "logging",
];

/** `docker run` for the container; `layout` gives Kamal's image reference and a `--hostname`. */
export function runSpec(i: ContainerInputs, envFile: string, layout: { image?: string; hostname?: string } = {}): docker.RunSpec {
    const name = containerName(i);
    return {
        name,
        image: layout.image ?? i.image,
        hostname: layout.hostname,
        cmd: i.cmd,
        env: {
            ...i.env,
            KAMAL_CONTAINER_NAME: name,
            KAMAL_VERSION: i.version,
            KAMAL_HOST: i.connection.host,
            KAMAL_SERVICE: i.service,
            KAMAL_ROLE: i.role,
            ...(i.destination ? { KAMAL_DESTINATION: i.destination } : {}),
        },
        envFile,
        labels: { ...i.labels, service: i.service, role: i.role, destination: i.destination ?? "" },
        volumes: i.volumes,
        logging: i.logging,
        options: i.options,
    };
}

export const containerProvider: pulumi.dynamic.ResourceProvider = {
    async check(_olds, news: ContainerInputs) {
        const failures: pulumi.dynamic.CheckFailure[] = [];
        const host = news.connection?.host;
        if (typeof host === "string" && !isUnknown(host) && !/^[A-Za-z0-9.:\[\]-]+$/.test(host)) {
            failures.push({ property: "connection", reason: `host "${host}" is not a hostname or IP address` });
        }
        // An image given as an Output is only known now: the same check as the config's, before any host is touched.
        if (typeof news.image === "string" && !isUnknown(news.image) && !IMAGE_REF.test(news.image)) {
            failures.push({ property: "image", reason: `image "${news.image}" is not a Docker image reference: use [registry[:port]/]name[:tag][@sha256:digest], lowercase name` });
        }
        if (typeof news.version === "string" && !isUnknown(news.version) && !TAG.test(news.version)) {
            failures.push({ property: "version", reason: `version "${news.version}" is not a valid Docker tag (letters, digits, '_', '.', '-'; at most 128): Kamal runs the image as REPO:VERSION` });
        }
        return { inputs: news, failures };
    },

    async diff(_id, olds: ContainerOutputs, news: ContainerInputs) {
        const replaces = changedKeys(olds, news, REPLACE_ON);
        const changes = replaces.length > 0 || (olds.drift?.length ?? 0) > 0
            || changedKeys(olds, news, ["connection", "registry", "health", "bootDelay"]).length > 0;
        return { changes, replaces, deleteBeforeReplace: false };
    },

    async create(inputs: ContainerInputs) {
        await holdLock(inputs.lock, "up");
        const t = transport(inputs.connection);
        const name = containerName(inputs);
        if (inputs.bootDelay) await new Promise((r) => setTimeout(r, inputs.bootDelay! * 1000));
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
        const outs: ContainerOutputs = {
            ...inputs, containerId: id, containerName: name, healthyAt: Date.now(), runImage, envFileSha256: envFileDigest(inputs.secretEnv), drift: [],
        };
        return { id, outs };
    },

    async read(id, props: ContainerOutputs) {
        const found = await readContainer(transport(props.connection), id, props);
        // Gone from the host: drop it from state so the next `up` boots it again.
        if (!found) return { id: "", props: {} };
        return { id, props: { ...props, drift: found.drift } };
    },

    async update(_id, olds: ContainerOutputs, news: ContainerInputs) {
        // Connection, registry or health settings changed, or `refresh` found drift: the container stays, repaired in place.
        const t = transport(news.connection);
        if (olds.drift?.length) {
            await holdLock(news.lock, "up");
            await repairContainer(t, olds.containerId, { ...news, containerName: olds.containerName });
        }
        return {
            outs: {
                ...news, containerId: olds.containerId, containerName: olds.containerName, healthyAt: olds.healthyAt,
                runImage: olds.runImage, envFileSha256: envFileDigest(news.secretEnv), drift: [],
            } satisfies ContainerOutputs,
        };
    },

    /**
     * Replaced by a newer container: keep this one stopped for rollback (the
     * traffic switch already stopped it and prunes past retainContainers).
     * Destroyed (no successor running): remove it and the role's retained ones.
     */
    async delete(id, olds: ContainerOutputs) {
        await holdLock(olds.lock, "destroy");
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
    },
};
