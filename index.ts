export { KamalApp, KamalAppArgs } from "./components/KamalApp";
export { KamalRole, KamalRoleArgs } from "./components/KamalRole";
export { KamalProxy, KamalProxyArgs } from "./components/KamalProxy";
export { KamalConfigError, parseAppConfig } from "./config/validate";
export type { KamalAppConfig, KamalAppInput, HookConfig, RoleConfig } from "./config/schema";
