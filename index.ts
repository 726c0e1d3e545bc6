export { KamalApp } from "./components/KamalApp";
export { KamalRole, KamalRoleArgs } from "./components/KamalRole";
export { KamalProxy, KamalProxyArgs } from "./components/KamalProxy";
export { KamalConfigError, parseAppConfig } from "./config/validate";
export { loadDeployConfig } from "./config/deploy-yml";
export type { LoadedDeployConfig, LoadOptions } from "./config/deploy-yml";
export type {
    KamalAppArgs, RoleArgs, HostArgs, HookArgs, HookWhen, HookRunOn, SshArgs, ProxyArgs, HealthcheckArgs, BufferingArgs,
    EnvArgs, EnvVars, RegistryArgs, BootArgs, LoggingArgs,
    KamalAppConfig, RoleConfig, HostConfig, HookConfig, SshConfig,
} from "./config/types";
/** The arguments' old name. */
export type { KamalAppArgs as KamalAppInput } from "./config/types";
export type { KamalAppOutputs, HookRun } from "./components/outputs";
/** The dynamic resources the components create, and how they reach a host. */
export type { RoleContainer, RoleHook, TrafficSwitch, ProxyContainer, ProxyInstance } from "./components/resources";
export type { SshTarget } from "./provider/transport";
export type { LockSpec } from "./provider/effects/lock";
