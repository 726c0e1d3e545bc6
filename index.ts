export { KamalApp, KamalAppArgs } from "./components/KamalApp";
export { KamalRole, KamalRoleArgs } from "./components/KamalRole";
export { KamalProxy, KamalProxyArgs } from "./components/KamalProxy";
export { KamalConfigError, parseAppConfig } from "./config/validate";
export { loadDeployConfig } from "./config/deploy-yml";
export type { LoadedDeployConfig, LoadOptions } from "./config/deploy-yml";
export type { KamalAppConfig, KamalAppInput, HookConfig, RoleConfig } from "./config/schema";
