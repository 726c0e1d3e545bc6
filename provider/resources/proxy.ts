/** kamal-proxy on one host: started if absent, adopted if present (so Kamal can keep driving the host). */
import type * as pulumi from "@pulumi/pulumi";
import * as docker from "../commands/docker";
import * as proxyCmd from "../commands/proxy";
import { ensureProxy, proxyRunning } from "../operations";
import { holdLock, LockSpec } from "../lock";
import { run, SshTarget, Transport } from "../transport";
import { changedKeys, progress, transport } from "./common";
import { readProxy } from "./drift";

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
    /** What `refresh` found (kamal-proxy gone or stopped); the next `up` boots it again. */
    drift?: string[];
}

/**
 * `kamal proxy boot`: the apps-config directory, then start or run the proxy
 * with Kamal's mounts; an adopted proxy must be a version Kamal drives.
 */
async function boot(t: Transport, i: ProxyInputs): Promise<{ created: boolean }> {
    const appsConfigDir = (await run(t, proxyCmd.ensureAppsConfigDir())).trim();
    const result = await ensureProxy(t, { image: i.image, httpPort: i.httpPort, httpsPort: i.httpsPort, appsConfigDir });
    const [image, mounts = ""] = (await run(t, proxyCmd.inspectProxy())).trim().split("\t");
    if (proxyCmd.olderThanMinimum(image)) {
        throw new Error(`${t.host}: kamal-proxy runs ${image}, older than ${proxyCmd.MINIMUM_PROXY_VERSION} (the oldest Kamal 2.12 drives): run \`kamal proxy reboot\`, or \`docker rm -f kamal-proxy\` on the host and deploy again`);
    }
    if (!mounts.split(" ").includes(proxyCmd.APPS_CONFIG_MOUNT)) {
        progress(`[${t.host}] kamal-proxy lacks Kamal's ${proxyCmd.APPS_CONFIG_DIR} mount (started by an older tool): error pages and custom certificates need \`kamal proxy reboot\``);
    }
    return result;
}

export const proxyProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id, olds: ProxyOutputs, news: ProxyInputs) {
        const changes = changedKeys(olds, news, ["image", "httpPort", "httpsPort", "connection"]);
        return { changes: changes.length > 0 || (olds.drift?.length ?? 0) > 0 };
    },

    async create(inputs: ProxyInputs) {
        await holdLock(inputs.lock, "up");
        const { created } = await boot(transport(inputs.connection), inputs);
        return { id: `${inputs.connection.host}/kamal-proxy`, outs: { ...inputs, created, drift: [] } satisfies ProxyOutputs };
    },

    async read(id, props: ProxyOutputs) {
        return { id, props: { ...props, drift: await readProxy(transport(props.connection)) } };
    },

    async update(_id, olds: ProxyOutputs, news: ProxyInputs) {
        // Never restart a proxy that serves traffic on a config change: ensure it runs, as `kamal proxy boot` would.
        await holdLock(news.lock, "up");
        if (olds.drift?.length) progress(`[${news.connection.host}] booting kamal-proxy again: ${olds.drift.join("; ")}`);
        const { created } = await boot(transport(news.connection), news);
        return { outs: { ...news, created: olds.created || created, drift: [] } satisfies ProxyOutputs };
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
