/**
 * TrafficSwitch: moves one role's traffic on one host to its new container
 * and retires the others. The engine-facing adapter; the commands run in
 * ../effects/switch.ts.
 */
import type * as pulumi from "@pulumi/pulumi";
import type * as proxyCmd from "../commands/proxy";
import { progress, transport } from "../effects/common";
import type { Health } from "../effects/containers";
import { readSwitch } from "../effects/drift";
import { holdLock, LockSpec } from "../effects/lock";
import { switchTraffic, unroute } from "../effects/switch";
import type { SshTarget } from "../transport";
import { changedKeys } from "./common";

export interface TrafficSwitchInputs {
    connection: SshTarget;
    service: string;
    role: string;
    destination?: string;
    containerId: string;
    containerName: string;
    /** Absent for roles kamal-proxy does not serve. */
    proxy?: Omit<proxyCmd.DeployTarget, "target"> & { appPort: number };
    stopTimeout?: number;
    retainContainers: number;
    /** Kamal's `REPO:VERSION` the container runs: tagged `REPO:latest[-DEST]` once it serves. */
    image?: string;
    /** Kamal's error_pages_path: `{ "503.html": "..." }` for this version. */
    errorPages?: { version: string; files: Record<string, string> };
    /** A custom certificate (secret): written where `proxy.tlsCertificatePath` points. */
    tlsCertificate?: { certificatePem: string; privateKeyPem: string };
    /**
     * A role held by a `paused` hook without a route: its container was only
     * created; the switch starts it (when that hook did not run again) and
     * waits for this health check before the old ones stop.
     */
    health?: Health;
    /** The deploy lock this resource's host changes wait for (absent in states written before it existed). */
    lock?: LockSpec;
}

export interface TrafficSwitchOutputs extends TrafficSwitchInputs {
    /** Containers this switch stopped. */
    retired: string[];
    switchedAt: number;
    /** What `refresh` found serving instead (empty when the host matches); the next `up` switches back. */
    drift?: string[];
}

export const trafficSwitchProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id, olds: TrafficSwitchOutputs, news: TrafficSwitchInputs) {
        const changes = changedKeys(olds, news, ["containerId", "proxy", "stopTimeout", "retainContainers", "connection", "image", "errorPages", "tlsCertificate"]);
        return { changes: changes.length > 0 || (olds.drift?.length ?? 0) > 0 };
    },

    async read(id, props: TrafficSwitchOutputs) {
        const drift = await readSwitch(transport(props.connection), props);
        return { id, props: { ...props, drift } };
    },

    async create(inputs: TrafficSwitchInputs) {
        await holdLock(inputs.lock, "up");
        return { id: `${inputs.connection.host}/${inputs.service}-${inputs.role}`, outs: await switchTraffic(inputs, true) };
    },

    async update(_id, olds: TrafficSwitchOutputs, news: TrafficSwitchInputs) {
        if (olds.drift?.length) progress(`[${news.role}@${news.connection.host}] switching back to ${news.containerName}: ${olds.drift.join("; ")}`);
        await holdLock(news.lock, "up");
        return { outs: await switchTraffic(news) };
    },

    async delete(_id, olds: TrafficSwitchOutputs) {
        if (!olds.proxy) return;
        await holdLock(olds.lock, "destroy");
        await unroute(olds);
    },
};
