/**
 * ProxyContainer: the kamal-proxy container on one host, started if absent,
 * adopted if present (so Kamal can keep driving the host). The engine-facing
 * adapter; the commands run in ../effects/proxy.ts.
 */
import type * as pulumi from "@pulumi/pulumi";
import { progress, transport } from "../effects/common";
import { readProxy } from "../effects/drift";
import { holdLock, LockSpec } from "../effects/lock";
import { bootProxy, removeIdleProxy } from "../effects/proxy";
import type { SshTarget } from "../transport";
import { changedKeys } from "./common";

export interface ProxyContainerInputs {
    connection: SshTarget;
    image: string;
    httpPort: number;
    httpsPort: number;
    /** The deploy lock this resource's host changes wait for (absent in states written before it existed). */
    lock?: LockSpec;
}

export interface ProxyContainerOutputs extends ProxyContainerInputs {
    /** True when this resource started the container (then destroy may remove it). */
    created: boolean;
    /** What `refresh` found (kamal-proxy gone or stopped); the next `up` boots it again. */
    drift?: string[];
}

export const proxyContainerProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id, olds: ProxyContainerOutputs, news: ProxyContainerInputs) {
        const changes = changedKeys(olds, news, ["image", "httpPort", "httpsPort", "connection"]);
        return { changes: changes.length > 0 || (olds.drift?.length ?? 0) > 0 };
    },

    async create(inputs: ProxyContainerInputs) {
        await holdLock(inputs.lock, "up");
        const { created } = await bootProxy(transport(inputs.connection), inputs);
        return { id: `${inputs.connection.host}/kamal-proxy`, outs: { ...inputs, created, drift: [] } satisfies ProxyContainerOutputs };
    },

    async read(id, props: ProxyContainerOutputs) {
        return { id, props: { ...props, drift: await readProxy(transport(props.connection)) } };
    },

    async update(_id, olds: ProxyContainerOutputs, news: ProxyContainerInputs) {
        // Never restart a proxy that serves traffic on a config change: ensure it runs, as `kamal proxy boot` would.
        await holdLock(news.lock, "up");
        if (olds.drift?.length) progress(`[${news.connection.host}] booting kamal-proxy again: ${olds.drift.join("; ")}`);
        const { created } = await bootProxy(transport(news.connection), news);
        return { outs: { ...news, created: olds.created || created, drift: [] } satisfies ProxyContainerOutputs };
    },

    async delete(_id, olds: ProxyContainerOutputs) {
        if (!olds.created) return;
        await holdLock(olds.lock, "destroy");
        await removeIdleProxy(transport(olds.connection));
    },
};
