/**
 * The named dynamic resource types: `pulumi-nodejs:dynamic/kamal:<Type>` in
 * state and previews. One name per resource: class, type token, provider kind
 * (../provider/index.ts) and provider file (../provider/resources/<name>.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import type { ProxyContainerInputs } from "../provider/resources/proxy-container";
import type { RoleContainerInputs } from "../provider/resources/role-container";
import type { HookRun, RoleHookInputs } from "../provider/resources/role-hook";
import type { TrafficSwitchInputs } from "../provider/resources/traffic-switch";
import { providerStub } from "../provider/stub";

type Inputs<T> = { [K in keyof T]: pulumi.Input<T[K]> };
const MODULE = "kamal";

/**
 * The type a resource was registered under before it got its one name: the
 * same resource (same name and parent) for the engine, so upgrading a stack
 * renames it in state and replaces nothing.
 */
const formerly = (type: string, opts?: pulumi.CustomResourceOptions): pulumi.CustomResourceOptions => ({
    ...opts, aliases: [...(opts?.aliases ?? []), { type: `pulumi-nodejs:dynamic/${MODULE}:${type}` }],
});

/** One role's new container on one host: booted and healthy, not serving yet. */
export class RoleContainer extends pulumi.dynamic.Resource {
    declare readonly containerId: pulumi.Output<string>;
    declare readonly containerName: pulumi.Output<string>;
    declare readonly healthyAt: pulumi.Output<number>;
    constructor(name: string, props: Inputs<RoleContainerInputs>, opts?: pulumi.CustomResourceOptions) {
        super(providerStub("RoleContainer"), name, { ...props, containerId: undefined, containerName: undefined, healthyAt: undefined },
            { ...opts, additionalSecretOutputs: ["secretEnv", "connection", "registry", "envFileSha256", "tlsCertificate", "lock"] }, MODULE, "RoleContainer");
    }
}

/** The kamal-proxy container on one host (the KamalProxy component's one resource). */
export class ProxyContainer extends pulumi.dynamic.Resource {
    declare readonly created: pulumi.Output<boolean>;
    constructor(name: string, props: Inputs<ProxyContainerInputs>, opts?: pulumi.CustomResourceOptions) {
        super(providerStub("ProxyContainer"), name, { ...props, created: undefined },
            { ...formerly("KamalProxy", opts), additionalSecretOutputs: ["connection", "lock"] }, MODULE, "ProxyContainer");
    }
}

/** @deprecated The former name of {@link ProxyContainer}. */
export type ProxyInstance = ProxyContainer;

/** One role's traffic on one host moved to its new container, the others retired. */
export class TrafficSwitch extends pulumi.dynamic.Resource {
    declare readonly retired: pulumi.Output<string[]>;
    declare readonly switchedAt: pulumi.Output<number>;
    constructor(name: string, props: Inputs<TrafficSwitchInputs>, opts?: pulumi.CustomResourceOptions) {
        super(providerStub("TrafficSwitch"), name, { ...props, retired: undefined, switchedAt: undefined },
            { ...opts, additionalSecretOutputs: ["connection", "tlsCertificate", "lock"] }, MODULE, "TrafficSwitch");
    }
}

/** A role's hook run (post-app-boot): preview shows where it will run and diffs its command. */
export class RoleHook extends pulumi.dynamic.Resource {
    declare readonly runs: pulumi.Output<HookRun[]>;
    constructor(name: string, props: Inputs<RoleHookInputs>, opts?: pulumi.CustomResourceOptions) {
        super(providerStub("RoleHook"), name, { ...props, runs: undefined },
            // Output tails may print secrets: `runs` is encrypted in state like the values to mask.
            { ...formerly("PostAppBootHook", opts), additionalSecretOutputs: ["targets", "lock", "held", "runs", "redact"] }, MODULE, "RoleHook");
    }
}
