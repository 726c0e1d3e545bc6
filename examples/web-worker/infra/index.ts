// The infrastructure stack the app builds on. In a real project this is where
// the servers are created (a cloud provider's resources); here they already
// exist, so their addresses, host keys and login come from this stack's config.
// The app stack reads these outputs through a StackReference.
import * as pulumi from "@pulumi/pulumi";

const config = new pulumi.Config();

export const webHost = config.require("webHost");
export const workerHost = config.require("workerHost");
/** OpenSSH SHA256 fingerprints of the hosts' keys, by address. */
export const hostKeys = config.requireObject<Record<string, string>>("hostKeys");
export const sshUser = config.get("sshUser") ?? "root";
/** Stays a secret in this stack's outputs and in every stack that reads it. */
export const sshPrivateKey = config.requireSecret("sshPrivateKey");
