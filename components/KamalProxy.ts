import * as pulumi from "@pulumi/pulumi";
import type { LockSpec } from "../provider/effects/lock";
import type { SshTarget } from "../provider/transport";
import { DEFAULT_PROXY_IMAGE } from "../config/schema";
import { ProxyContainer } from "./resources";

export interface KamalProxyArgs {
    connection: pulumi.Input<SshTarget>;
    /** Default `DEFAULT_PROXY_IMAGE` (basecamp/kamal-proxy:v0.9.2), the version Kamal 2.12 requires. */
    image?: string;
    httpPort?: number;
    httpsPort?: number;
    /** The app's deploy lock (KamalApp sets it): changes here wait for it. */
    lock?: pulumi.Input<LockSpec>;
}

/** kamal-proxy on one host, on the `kamal` network: started when absent, adopted when running. */
export class KamalProxy extends pulumi.ComponentResource {
    readonly instance: ProxyContainer;

    constructor(name: string, args: KamalProxyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pulumi-kamal:index:KamalProxy", name, {}, opts);
        this.instance = new ProxyContainer(name, {
            connection: args.connection,
            image: args.image ?? DEFAULT_PROXY_IMAGE,
            httpPort: args.httpPort ?? 80,
            httpsPort: args.httpsPort ?? 443,
            lock: args.lock,
        }, { parent: this });
        this.registerOutputs({ created: this.instance.created });
    }
}
