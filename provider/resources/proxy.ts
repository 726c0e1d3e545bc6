/** kamal-proxy on one host: started if absent, adopted if present (so Kamal can keep driving the host). */
import type * as pulumi from "@pulumi/pulumi";
import * as docker from "../commands/docker";
import * as proxyCmd from "../commands/proxy";
import { ensureProxy, proxyRunning } from "../operations";
import { holdLock, LockSpec } from "../lock";
import { run, SshTarget } from "../transport";
import { changedKeys, transport } from "./common";

export interface ProxyInputs {
    connection: SshTarget;
    image: string;
    httpPort: number;
    httpsPort: number;
    /** The deploy lock this resource's host changes wait for (absent in states written before it existed). */
    lock?: LockSpec;
}

export interface ProxyOutputs extends ProxyInputs {
    /** True when this resource started the container (then destroy may remove it). */
    created: boolean;
}

export const proxyProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id, olds: ProxyOutputs, news: ProxyInputs) {
        const changes = changedKeys(olds, news, ["image", "httpPort", "httpsPort", "connection"]);
        return { changes: changes.length > 0 };
    },

    async create(inputs: ProxyInputs) {
        await holdLock(inputs.lock, "up");
        const t = transport(inputs.connection);
        const { created } = await ensureProxy(t, { image: inputs.image, httpPort: inputs.httpPort, httpsPort: inputs.httpsPort });
        return { id: `${inputs.connection.host}/kamal-proxy`, outs: { ...inputs, created } satisfies ProxyOutputs };
    },

    async update(_id, olds: ProxyOutputs, news: ProxyInputs) {
        // Never restart a proxy that serves traffic on a config change: ensure it runs, as `kamal proxy boot` would.
        await holdLock(news.lock, "up");
        const t = transport(news.connection);
        await ensureProxy(t, { image: news.image, httpPort: news.httpPort, httpsPort: news.httpsPort });
        return { outs: { ...news, created: olds.created } satisfies ProxyOutputs };
    },

    async delete(_id, olds: ProxyOutputs) {
        if (!olds.created) return;
        await holdLock(olds.lock, "destroy");
        const t = transport(olds.connection);
        if (!(await proxyRunning(t))) return;
        // Only remove a proxy with no services left: other apps may share it.
        const services = (await run(t, proxyCmd.list())).split("\n").slice(1).filter((l) => l.trim());
        if (services.length === 0) await run(t, docker.remove(proxyCmd.PROXY_CONTAINER));
    },
};
