/** Configuration: Kamal's deploy.yml loader. */
export { loadDeployConfig } from "./deploy-yml";
export type { LoadedDeployConfig, LoadOptions } from "./deploy-yml";
