import * as pulumi from "@pulumi/pulumi";
import type { SshConfig } from "../config/schema";
import type { SshTarget } from "../provider/transport";

/** How the providers reach one host. Secret as a whole when it carries a key, so state keeps it encrypted. */
export function connectionTo(ssh: SshConfig, host: pulumi.Input<string>): pulumi.Output<SshTarget> {
    const target = pulumi.all([host, ssh.privateKey]).apply(([h, key]) => ({
        host: h,
        user: ssh.user,
        port: ssh.port,
        ...(key ? { privateKey: key } : {}),
        ...(ssh.keyPath ? { keyPath: ssh.keyPath } : {}),
        ...(ssh.proxy ? { proxy: ssh.proxy } : {}),
        verifyHostKey: ssh.verifyHostKey,
        ...(ssh.knownHosts ? { knownHosts: ssh.knownHosts } : {}),
        ...(ssh.hostKeys ? { hostKeys: ssh.hostKeys } : {}),
    } satisfies SshTarget));
    return ssh.privateKey ? pulumi.secret(target) : target;
}
