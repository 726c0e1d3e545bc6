/**
 * Registry credentials on a host without `docker login`: its `--username`
 * would put the user name (a secret for some registries) in argv, visible in
 * `ps` and audit logs. We write what `docker login` writes instead, the same
 * way: an `auths` entry in the Docker config, or the configured credential
 * helper's `store`, the values on stdin only. Pure builders and the merge.
 */
import { Argv } from "./docker";

const CONFIG_DIR = '"${DOCKER_CONFIG:-$HOME/.docker}"';

/** Prints the host's Docker config, nothing when it has none. */
export const readDockerConfig = (): Argv => ["sh", "-c", `cat ${CONFIG_DIR}/config.json 2>/dev/null || true`];

/** Replaces the Docker config with stdin, atomically and private (0600) as docker writes it. */
export const writeDockerConfig = (): Argv => ["sh", "-c",
    `d=${CONFIG_DIR}; umask 077; mkdir -p "$d" && cat > "$d/config.json.kamal-$$" && mv -f "$d/config.json.kamal-$$" "$d/config.json"`];

/** A credential helper's `store`: it reads {ServerURL, Username, Secret} on stdin. */
export function storeCredentials(helper: string): Argv {
    if (!/^[A-Za-z0-9_.-]+$/.test(helper)) throw new Error(`the Docker config names credential helper "${helper}", which is not a plain program suffix`);
    return [`docker-credential-${helper}`, "store"];
}

const DOCKER_HUB = "https://index.docker.io/v1/";

/** The key `docker login SERVER` stores credentials under: the host name, or Docker Hub's URL. */
export function registryKey(server?: string): string {
    const host = (server ?? "").replace(/^https?:\/\//, "").split("/")[0];
    return !host || ["docker.io", "index.docker.io", "registry-1.docker.io"].includes(host) ? DOCKER_HUB : host;
}

export type LoginPlan =
    | { kind: "config"; stdin: string }
    | { kind: "helper"; argv: Argv; stdin: string };

/** How to store these credentials, given the host's current Docker config text (empty when it has none). */
export function planLogin(configText: string, server: string | undefined, username: string, password: string): LoginPlan {
    let config: Record<string, any> = {};
    if (configText.trim()) {
        try {
            config = JSON.parse(configText);
        } catch {
            // Never echo the file: it holds other credentials.
            throw new Error("its Docker config (~/.docker/config.json) is not valid JSON; fix or remove it, then deploy again");
        }
        if (typeof config !== "object" || config === null || Array.isArray(config)) throw new Error("its Docker config (~/.docker/config.json) is not a JSON object; fix or remove it");
    }
    const key = registryKey(server);
    const helper = config.credHelpers?.[key] ?? config.credsStore;
    if (typeof helper === "string" && helper) {
        // As docker login: the secret lives in the helper; the config keeps no `auths` value for it.
        return { kind: "helper", argv: storeCredentials(helper), stdin: JSON.stringify({ ServerURL: key, Username: username, Secret: password }) };
    }
    const auths = typeof config.auths === "object" && config.auths !== null ? config.auths : {};
    const auth = Buffer.from(`${username}:${password}`).toString("base64");
    return { kind: "config", stdin: `${JSON.stringify({ ...config, auths: { ...auths, [key]: { auth } } }, null, "\t")}\n` };
}
