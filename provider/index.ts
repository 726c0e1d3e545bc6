/**
 * The provider implementations the engine runs. Loaded by name from the
 * installed package (see stub.ts), never serialized into state.
 */
import type * as pulumi from "@pulumi/pulumi";
import { proxyContainerProvider } from "./resources/proxy-container";
import { roleContainerProvider } from "./resources/role-container";
import { roleHookProvider } from "./resources/role-hook";
import { trafficSwitchProvider } from "./resources/traffic-switch";
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

/** One kind per resource, named as its class and type token (the trace keeps its short labels). */
const current = {
    RoleContainer: withTrace("container", roleContainerProvider),
    ProxyContainer: withTrace("proxy", proxyContainerProvider),
    TrafficSwitch: withTrace("switch", trafficSwitchProvider),
    RoleHook: withTrace("hook", roleHookProvider),
};

export const providers = {
    ...current,
    // Every resource's state holds its stub, and the stub names its kind
    // (stub.ts): states written by pulumi-kamal 0.1 say Container/Proxy/Release/Hook.
    // `refresh` and `destroy` of such a resource (one no longer in the
    // program) load the provider by that old name, so these must resolve.
    Container: current.RoleContainer,
    Proxy: current.ProxyContainer,
    Release: current.TrafficSwitch,
    Hook: current.RoleHook,
};
export type ProviderKind = keyof typeof current;

export * as docker from "./commands/docker";
export * as kamalProxy from "./commands/proxy";
export * as shell from "./commands/shell";
export * as hooks from "./commands/hook";
