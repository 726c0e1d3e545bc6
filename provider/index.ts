/**
 * The provider implementations the engine runs. Loaded by name from the
 * installed package (see stub.ts), never serialized into state.
 */
import type * as pulumi from "@pulumi/pulumi";
import { containerProvider } from "./resources/container";
import { hookProvider } from "./resources/hook";
import { proxyProvider } from "./resources/proxy";
import { releaseProvider } from "./resources/release";
import { traced } from "./trace";

/** Records each resource operation's span when PULUMI_KAMAL_TRACE is set (see trace.ts). */
function withTrace(kind: string, p: pulumi.dynamic.ResourceProvider): pulumi.dynamic.ResourceProvider {
    const where = (props: any) => ({
        resource: `${kind}/${props?.role ?? ""}`,
        host: props?.connection?.host ?? (props?.targets ?? []).map((t: any) => t?.connection?.host).join(","),
    });
    const op = <A extends unknown[], R>(name: string, fn: ((...a: A) => Promise<R>) | undefined, propsAt: number) =>
        fn && ((...a: A) => { const w = where(a[propsAt]); return traced(w.resource, w.host, name, () => fn.apply(p, a)); });
    return {
        ...p,
        create: op("create", p.create, 0)!,
        update: op("update", p.update, 2),
        delete: op("delete", p.delete, 1),
        read: op("read", p.read, 1),
    };
}

export const providers = {
    Container: withTrace("container", containerProvider),
    Proxy: withTrace("proxy", proxyProvider),
    Release: withTrace("switch", releaseProvider),
    Hook: withTrace("hook", hookProvider),
};
export type ProviderKind = keyof typeof providers;

export * as docker from "./commands/docker";
export * as kamalProxy from "./commands/proxy";
export * as shell from "./commands/shell";
export * as hooks from "./commands/hook";
