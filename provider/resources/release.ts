/**
 * The traffic switch for one role on one host: kamal-proxy moves requests to
 * the new container (health-checked, old one drained), then the role's other
 * containers stop, keeping `retainContainers` for rollback.
 */
import type * as pulumi from "@pulumi/pulumi";
import * as proxyCmd from "../commands/proxy";
import { proxyRunning, retireOthers } from "../operations";
import { holdLock, LockSpec } from "../lock";
import { CommandError, run, SshTarget } from "../transport";
import { changedKeys, progress, transport } from "./common";

export interface ReleaseInputs {
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
    /** The deploy lock this resource's host changes wait for (absent in states written before it existed). */
    lock?: LockSpec;
}

export interface ReleaseOutputs extends ReleaseInputs {
    /** Containers this release stopped. */
    retired: string[];
    switchedAt: number;
}

export function switchTarget(i: ReleaseInputs): proxyCmd.DeployTarget | undefined {
    if (!i.proxy) return undefined;
    const { appPort, ...target } = i.proxy;
    return { ...target, target: `${i.containerId.slice(0, 12)}:${appPort}` };
}

export const releaseProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id, olds: ReleaseOutputs, news: ReleaseInputs) {
        const changes = changedKeys(olds, news, ["containerId", "proxy", "stopTimeout", "retainContainers", "connection"]);
        return { changes: changes.length > 0 };
    },

    async create(inputs: ReleaseInputs) {
        return { id: `${inputs.connection.host}/${inputs.service}-${inputs.role}`, outs: await release(inputs) };
    },

    async update(_id, _olds: ReleaseOutputs, news: ReleaseInputs) {
        return { outs: await release(news) };
    },

    async delete(_id, olds: ReleaseOutputs) {
        if (!olds.proxy) return;
        await holdLock(olds.lock, "destroy");
        const t = transport(olds.connection);
        if (!(await proxyRunning(t))) return;
        const argv = proxyCmd.remove(olds.proxy.service);
        const r = await t.exec(argv);
        // Already gone is what we wanted.
        if (r.code !== 0 && !/not found/i.test(r.stderr)) throw new CommandError(t.host, argv, r);
    },
};

async function release(i: ReleaseInputs): Promise<ReleaseOutputs> {
    await holdLock(i.lock, "up");
    const t = transport(i.connection);
    const target = switchTarget(i);
    if (target) {
        progress(`[${i.role}@${t.host}] switching traffic to ${i.containerName}`);
        await run(t, proxyCmd.deploy(target));
    }
    const retired = await retireOthers(t, i, i.containerId, i.stopTimeout, i.retainContainers);
    if (retired.length) progress(`[${i.role}@${t.host}] stopped ${retired.join(", ")}`);
    return { ...i, retired, switchedAt: Date.now() };
}
