/** deploy.yml's names for KamalApp's fields (`deployTimeout` is `deploy_timeout`), for messages. No zod here: the public typings reach this file. */

/** The schema's messages name fields in camelCase (`deployTimeout`): say the deploy.yml key (`deploy_timeout`). */
export function yamlWords(message: string): string {
    return message.replace(/\b[a-z]+(?:[A-Z][a-z0-9]*)+\b/g, (word) => String(toYamlKey(word)));
}

const YAML_KEYS: Record<string, string> = { roles: "servers", postAppBoot: "post-app-boot", keyPath: "keys", privateKey: "key_data", proxyPorts: "proxy.run", proxyImage: "proxy.run" };

export function toYamlKey(k: string | number): string | number {
    if (typeof k === "number") return k;
    return YAML_KEYS[k] ?? k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
