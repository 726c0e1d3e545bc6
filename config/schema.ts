/**
 * The shape of a KamalApp: validated once, at the edge, with zod, for both
 * `new KamalApp({...})` and deploy.yml. Each section (config/sections/) owns
 * its fields and rules; this file puts them together and runs the rules that
 * span sections.
 *
 * Field names are Kamal's deploy.yml keys in camelCase. Values that may come
 * from other resources (hosts, image, secrets) accept Pulumi Inputs; their
 * plain values are checked here and again by the providers once resolved.
 */
import { z } from "zod";
import { IMAGE_REF } from "../common/image";
import { bootSchema, checkBootAfter, checkBootCycle } from "./sections/boot";
import { loggingSchema, labelsSchema, volume } from "./sections/container";
import { envSchema } from "./sections/env";
import { delay, MAX_SECONDS, seconds } from "./sections/fields";
import { checkHolds, checkPausedProxied, heldBootOrder } from "./sections/hooks";
import { checkPrimaryRole } from "./sections/primary";
import { checkSsl, DEFAULT_PROXY_IMAGE, proxyPortsSchema, proxySchema } from "./sections/proxy";
import { registrySchema } from "./sections/registry";
import { rolesSchema } from "./sections/roles";
import { destinationSchema, imageRef, imageSchema, serviceSchema, versionSchema } from "./sections/service";
import { sshSchema } from "./sections/ssh";

export const appSchema = z.strictObject({
    service: serviceSchema,
    image: imageSchema,
    version: versionSchema.optional(),
    destination: destinationSchema.optional(),
    roles: rolesSchema,
    primaryRole: z.string().default("web"),
    ssh: sshSchema.default({ user: "root", port: 22, verifyHostKey: true }),
    env: envSchema.optional(),
    proxy: proxySchema.optional(),
    registry: registrySchema.optional(),
    labels: labelsSchema.optional(),
    volumes: z.array(volume).optional(),
    logging: loggingSchema.optional(),
    boot: bootSchema.optional(),
    deployTimeout: seconds("deployTimeout").default(30),
    drainTimeout: seconds("drainTimeout").default(30),
    readinessDelay: delay("readinessDelay").default(7),
    retainContainers: z.number().int().min(1, { error: "retainContainers must keep at least 1 container" }).default(5),
    proxyImage: imageRef("proxyImage").default(DEFAULT_PROXY_IMAGE),
    /** A directory of 4xx/5xx `.html` pages kamal-proxy serves for its own errors (Kamal's error_pages_path). */
    errorPagesPath: z.string().min(1).optional(),
    /** Ports kamal-proxy publishes on each host (Kamal's proxy `run.http_port`/`https_port`). */
    proxyPorts: proxyPortsSchema,
})
    // Rules that name other fields: run even when some fields are wrong, so every problem is reported at once.
    .superRefine((app, ctx) => {
        checkBootAfter(app, ctx);
        checkPrimaryRole(app, ctx);
        checkPausedProxied(app, ctx);
        checkSsl(app, ctx);
    }, { when: () => true })
    // Rules over the whole role graph: only once everything else is valid.
    .superRefine((app, ctx) => {
        checkHolds(app, ctx);
        checkBootCycle(heldBootOrder(app), ctx);
    });

/** What zod accepts and returns; the public types (types.ts) must agree (test/unit/types.test.ts). */
export type ParsedAppInput = z.input<typeof appSchema>;
export type ParsedApp = z.output<typeof appSchema>;
export type { KamalAppArgs as KamalAppInput, KamalAppConfig, RoleConfig, HookConfig, SshConfig } from "./types";

// The names other layers import from here (each defined in its section).
export { IMAGE_REF, MAX_SECONDS, DEFAULT_PROXY_IMAGE };
export { bootOrder, bootSchema } from "./sections/boot";
export { envSchema } from "./sections/env";
export { HOOK_RUN_ON, HOOK_WHEN, heldBootOrder, heldRoles, holders, hookObjectSchema, hookSchema } from "./sections/hooks";
export { primaryRoleOf } from "./sections/primary";
export { isProxied, mergeProxy, PROXY_DEFAULTS, proxySchema, replaceHosts } from "./sections/proxy";
export type { ProxyConfig, ProxySettings } from "./sections/proxy";
export { registrySchema } from "./sections/registry";
export { HOSTNAME, roleSchema } from "./sections/roles";
export { sshSchema } from "./sections/ssh";
