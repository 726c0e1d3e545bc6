/** The named dynamic resource types: `pulumi-nodejs:dynamic/kamal:<Type>` in state and previews. */
import * as pulumi from "@pulumi/pulumi";
import { providerStub } from "../provider/stub";
import type { ContainerInputs } from "../provider/resources/container";
import type { HookInputs, HookRun } from "../provider/resources/hook";
import type { ProxyInputs } from "../provider/resources/proxy";
import type { ReleaseInputs } from "../provider/resources/release";

type Inputs<T> = { [K in keyof T]: pulumi.Input<T[K]> };
const MODULE = "kamal";

export class RoleContainer extends pulumi.dynamic.Resource {
    declare readonly containerId: pulumi.Output<string>;
    declare readonly containerName: pulumi.Output<string>;
    declare readonly healthyAt: pulumi.Output<number>;
    constructor(name: string, props: Inputs<ContainerInputs>, opts?: pulumi.CustomResourceOptions) {
        super(providerStub("Container"), name, { ...props, containerId: undefined, containerName: undefined, healthyAt: undefined },
            { ...opts, additionalSecretOutputs: ["secretEnv", "connection", "registry", "envFileSha256", "tlsCertificate", "lock"] }, MODULE, "RoleContainer");
    }
}

export class ProxyInstance extends pulumi.dynamic.Resource {
    declare readonly created: pulumi.Output<boolean>;
    constructor(name: string, props: Inputs<ProxyInputs>, opts?: pulumi.CustomResourceOptions) {
        super(providerStub("Proxy"), name, { ...props, created: undefined },
            { ...opts, additionalSecretOutputs: ["connection", "lock"] }, MODULE, "KamalProxy");
    }
}

export class TrafficSwitch extends pulumi.dynamic.Resource {
    declare readonly retired: pulumi.Output<string[]>;
    declare readonly switchedAt: pulumi.Output<number>;
    constructor(name: string, props: Inputs<ReleaseInputs>, opts?: pulumi.CustomResourceOptions) {
        super(providerStub("Release"), name, { ...props, retired: undefined, switchedAt: undefined },
            { ...opts, additionalSecretOutputs: ["connection", "tlsCertificate", "lock"] }, MODULE, "TrafficSwitch");
    }
}

/** A role's post-app-boot hook run: preview shows where it will run and diffs its command. */
export class RoleHook extends pulumi.dynamic.Resource {
    declare readonly runs: pulumi.Output<HookRun[]>;
    constructor(name: string, props: Inputs<HookInputs>, opts?: pulumi.CustomResourceOptions) {
        super(providerStub("Hook"), name, { ...props, runs: undefined },
            // Output tails may print secrets: `runs` is encrypted in state like the values to mask.
            { ...opts, additionalSecretOutputs: ["targets", "lock", "held", "runs", "redact"] }, MODULE, "PostAppBootHook");
    }
}
