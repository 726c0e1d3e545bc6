/**
 * RoleContainer: one role's container on one host, booted and healthy but not
 * yet serving; the first link of the per-role chain container -> hook ->
 * traffic switch. The engine-facing adapter; the commands run in ../effects/boot.ts.
 */
import type * as pulumi from "@pulumi/pulumi";
import { IMAGE_REF } from "../../common/image";
import type * as docker from "../commands/docker";
import { TAG } from "../commands/kamal";
import { bootContainer, retireContainer } from "../effects/boot";
import { transport } from "../effects/common";
import type { Health } from "../effects/containers";
import { envFileDigest, readContainer, repairContainer } from "../effects/drift";
import type { Registry } from "../effects/host-setup";
import { holdLock, LockSpec } from "../effects/lock";
import type { SshTarget } from "../transport";
import { changedKeys, isUnknown } from "./common";

export interface RoleContainerInputs {
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
    /**
     * A role without a route held by another role's `paused` hook: its new
     * container is created, not started; that hook starts it after it ran (or,
     * when the hook does not run again, the role's traffic switch does), so its
     * new code never meets the old schema.
     */
    startAfterHook?: boolean;
    /** The deploy lock this resource's host changes wait for (absent in states written before it existed). */
    lock?: LockSpec;
}

export interface RoleContainerOutputs extends RoleContainerInputs {
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

/** Inputs that need a new container; anything else updates in place. */
const REPLACE_ON: (keyof RoleContainerInputs)[] = [
    "service", "role", "destination", "version", "image", "cmd", "env", "secretEnv", "labels", "volumes", "options", "logging",
];

export const roleContainerProvider: pulumi.dynamic.ResourceProvider = {
    async check(_olds, news: RoleContainerInputs) {
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

    async diff(_id, olds: RoleContainerOutputs, news: RoleContainerInputs) {
        const replaces = changedKeys(olds, news, REPLACE_ON);
        const changes = replaces.length > 0 || (olds.drift?.length ?? 0) > 0
            || changedKeys(olds, news, ["connection", "registry", "health", "bootDelay", "startAfterHook"]).length > 0;
        return { changes, replaces, deleteBeforeReplace: false };
    },

    async create(inputs: RoleContainerInputs) {
        await holdLock(inputs.lock, "up");
        const outs = await bootContainer(inputs);
        return { id: outs.containerId, outs };
    },

    async read(id, props: RoleContainerOutputs) {
        const found = await readContainer(transport(props.connection), id, props);
        // Gone from the host: drop it from state so the next `up` boots it again.
        if (!found) return { id: "", props: {} };
        return { id, props: { ...props, drift: found.drift } };
    },

    async update(_id, olds: RoleContainerOutputs, news: RoleContainerInputs) {
        // Connection, registry or health settings changed, or `refresh` found drift: the container stays, repaired in place.
        // A container left waiting for a hook that no longer holds its role (a failed deploy, then `holds` changed) starts now.
        if (olds.drift?.length || (olds.startAfterHook && !news.startAfterHook)) {
            await holdLock(news.lock, "up");
            await repairContainer(transport(news.connection), olds.containerId, { ...news, containerName: olds.containerName });
        }
        return {
            outs: {
                ...news, containerId: olds.containerId, containerName: olds.containerName, healthyAt: olds.healthyAt,
                runImage: olds.runImage, envFileSha256: envFileDigest(news.secretEnv), drift: [],
            } satisfies RoleContainerOutputs,
        };
    },

    async delete(id, olds: RoleContainerOutputs) {
        await holdLock(olds.lock, "destroy");
        await retireContainer(id, olds);
    },
};
