/**
 * The provider implementations the engine runs. Loaded by name from the
 * installed package (see stub.ts), never serialized into state.
 */
import { containerProvider } from "./resources/container";
import { hookProvider } from "./resources/hook";
import { proxyProvider } from "./resources/proxy";
import { releaseProvider } from "./resources/release";

export const providers = {
    Container: containerProvider,
    Proxy: proxyProvider,
    Release: releaseProvider,
    Hook: hookProvider,
};
export type ProviderKind = keyof typeof providers;

export * as docker from "./commands/docker";
export * as kamalProxy from "./commands/proxy";
export * as shell from "./commands/shell";
export * as hooks from "./commands/hook";
