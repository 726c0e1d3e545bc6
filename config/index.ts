/**
 * Configuration: what a KamalApp is, checked once for both `new KamalApp` and
 * deploy.yml.
 *
 * - schema.ts: the one zod schema (appSchema), put together from the sections,
 *   and the rules that span them; validate.ts runs it for the TypeScript API.
 * - deploy-yml.ts: reads config/deploy.yml (ERB, YAML with lines, secrets),
 *   hands each key to its section and runs the same schema.
 * - sections/: one file per deploy.yml section (service, registry, env, ssh,
 *   proxy, roles, container, hooks, boot, primary), each with its zod schema,
 *   its deploy.yml reading and its rules; reader.ts turns YAML nodes into
 *   arguments and reports problems at their file and line.
 * - issues.ts, format.ts, yaml-keys.ts: how a problem is written.
 */
export { loadDeployConfig } from "./deploy-yml";
export type { LoadedDeployConfig, LoadOptions } from "./deploy-yml";
