import * as pulumi from "@pulumi/pulumi";
import type { SshConfig } from "../config/types";
import type { SshTarget } from "../provider/transport";

/** How the providers reach one host. Secret as a whole when it carries a key, so state keeps it encrypted. */
export function connectionTo(ssh: SshConfig, host: pulumi.Input<string>): pulumi.Output<SshTarget> {
    const target = pulumi.all([host, ssh.privateKey, ssh.user]).apply(([h, key, user]) => ({
        host: h,
        user,
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
