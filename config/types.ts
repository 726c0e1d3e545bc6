/**
 * The public argument types of KamalApp, as plain interfaces: what editors
 * show and what consumers compile against. zod (schema.ts) checks the same
 * shape at run time; test/unit/types.test.ts fails the build when the two
 * disagree. Field names are Kamal's deploy.yml keys in camelCase.
 *
 * A field typed `pulumi.Input<T>` also takes an Output or a Promise (another
 * resource's or stack's value); other fields must be known when the program
 * runs, because they shape the resource graph.
 */
import type * as pulumi from "@pulumi/pulumi";

/** Environment variables by name: letters, digits and `_`. */
export type EnvVars = Record<string, pulumi.Input<string>>;

/** A container's environment, as Kamal's `env`. Later layers win: app, role, then each host tag. */
export interface EnvArgs {
    /** Plain values: visible in state and in `docker inspect`. */
    clear?: EnvVars;
    /** Secret values: encrypted in state, written to a 0600 env file on the host, never on a command line. */
    secret?: EnvVars;
    /** Extra env for hosts carrying a tag (see {@link HostArgs.tags}). */
    tags?: Record<string, { clear?: EnvVars; secret?: EnvVars }>;
}

/** kamal-proxy's health check of a new container before it takes traffic. */
export interface HealthcheckArgs {
    /** Path requested on the container. Default `/up`. */
    path?: string;
    /** Seconds between checks. Default 1. */
    interval?: number;
    /** Seconds before one check fails. Default 5. */
    timeout?: number;
}

/** kamal-proxy request/response buffering, as Kamal's `proxy.buffering`. */
export interface BufferingArgs {
    requests?: boolean;
    responses?: boolean;
    /** Bytes; 0 is unlimited. */
    maxRequestBody?: number;
    /** Bytes; 0 is unlimited. */
    maxResponseBody?: number;
    /** Bytes buffered in memory before spilling to disk. */
    memory?: number;
}

/** How kamal-proxy routes to a role, as Kamal's `proxy`. A role's settings are merged over the app's. */
export interface ProxyArgs {
    /** The host name routed to this role (e.g. `app.example.com`). Default: every request on the proxy. Not with `hosts`. */
    host?: pulumi.Input<string>;
    /** Several host names routed to this role. Not with `host`. */
    hosts?: pulumi.Input<string>[];
    /** The port the app listens on in its container. Default 80. */
    appPort?: number;
    /**
     * `true`: kamal-proxy gets a Let's Encrypt certificate for `host`. Or your own certificate and
     * key (PEM text; pass them as secrets), written to the host's apps-config as Kamal does. Default false.
     */
    ssl?: boolean | { certificatePem: pulumi.Input<string>; privateKeyPem: pulumi.Input<string> };
    /** With `ssl`, redirect HTTP to HTTPS. Unset: kamal-proxy's default. */
    sslRedirect?: boolean;
    /** Route only requests under this path (starts with `/`). */
    pathPrefix?: string;
    /** Strip `pathPrefix` before forwarding. Unset: kamal-proxy's default. */
    stripPathPrefix?: boolean;
    /** Seconds kamal-proxy waits for a response. Default 30. */
    responseTimeout?: number;
    healthcheck?: HealthcheckArgs;
    /** Forward the client's X-Forwarded-* headers. Unset: kamal-proxy's default. */
    forwardHeaders?: boolean;
    buffering?: BufferingArgs;
    /** Headers kamal-proxy logs. Unset: Kamal's (Cache-Control, Last-Modified, User-Agent request headers). */
    logging?: { requestHeaders?: string[]; responseHeaders?: string[] };
}

/** Where a hook runs relative to the traffic switch. */
export type HookWhen = "before-traffic" | "after-traffic" | "paused";
/** On which hosts of the role a hook runs. */
export type HookRunOn = "primary" | "all";

/** A post-app-boot hook: a command run inside the role's new container. */
export interface HookArgs {
    /** A shell command, or an argv array run without a shell. */
    command: string | string[];
    /**
     * - `before-traffic` (default): after the new container is healthy, before traffic moves to it.
     * - `after-traffic`: after traffic moved.
     * - `paused`: kamal-proxy holds requests, traffic moves, the hook runs, requests resume (proxied roles only).
     */
    when?: HookWhen;
    /** `primary` (default): once, on the role's first host. `all`: on every host of the role. */
    runOn?: HookRunOn;
    /** Seconds before the hook is stopped and the deploy fails. Default 300. */
    timeout?: number;
    /** Extra env for the hook only (plain values). Default `{}`. */
    env?: Record<string, string>;
    /**
     * `paused` only: the roles held while the hook runs, on every host of each.
     * Default: every proxied role of the app. Proxied roles are paused and
     * switched with this one; non-proxied roles (workers, jobs) have their old
     * containers stopped before the hook and their new ones started after it.
     * The hook's own role is always held. A role is held by one hook at most.
     * @example ["web", "api", "worker"]
     */
    holds?: string[];
}

/** A host of a role with tags, and a stable key when its address is an Output. */
export interface HostArgs {
    /** Host name or IP address (no `user@`, no `:port`: see {@link SshArgs}). */
    host: pulumi.Input<string>;
    /** Tags select extra env (`env.tags`). Default `[]`. */
    tags?: string[];
    /**
     * Names this host's resources. Default: the host itself when it is a
     * string, else its position in the list, so reordering a list of Output
     * hosts renames (and replaces) their containers unless each has a key.
     */
    key?: string;
}

/** A role of the app (Kamal's `servers`): the same image and command on a set of hosts. */
export interface RoleArgs {
    /** At least one host: addresses, Outputs of other resources, or {@link HostArgs}. */
    hosts: (pulumi.Input<string> | HostArgs)[];
    /** The container's command: a shell-like string split into words, or an argv array. Default: the image's. */
    cmd?: string | string[];
    env?: EnvArgs;
    labels?: Record<string, string>;
    /** Extra `docker run` options, as Kamal's role `options`: `{ memory: "1g", "add-host": ["db:10.0.0.2"] }`. */
    options?: Record<string, string | number | boolean | string[]>;
    /** `docker run --volume` values, added to the app's. */
    volumes?: string[];
    logging?: LoggingArgs;
    /** true/false, or proxy settings over the app's `proxy`. Default: true for the primary role only. */
    proxy?: boolean | ProxyArgs;
    /** Seconds an old container gets to stop. Default: Docker's (10). */
    stopTimeout?: number;
    hooks?: {
        /** Runs in the role's new container once it is healthy; a string or argv is short for `{ command }`. */
        postAppBoot?: HookArgs | string | string[];
    };
    /**
     * Roles whose boot (and post-app-boot hook) must succeed before this role boots.
     * Default: non-primary roles wait for the primary role, as in Kamal. `[]` boots independently.
     */
    bootAfter?: string[];
}

/** Docker's logging driver and its options. */
export interface LoggingArgs {
    driver?: string;
    options?: Record<string, string>;
}

/** How the deploying machine reaches the hosts. */
export interface SshArgs {
    /** Default `root`. */
    user?: pulumi.Input<string>;
    /** Default 22. */
    port?: number;
    /** The private key's text; pass it as a secret. Default: the file at `keyPath`. */
    privateKey?: pulumi.Input<string>;
    /** A private key file on the deploying machine, read at deploy time. Default `~/.ssh/id_ed25519`. */
    keyPath?: string;
    /** A jump host, `[user@]host[:port]`, as Kamal's `ssh.proxy`. */
    proxy?: string;
    /** Check host keys against `hostKeys`, else the `knownHosts` file. Default true. */
    verifyHostKey?: boolean;
    /** known_hosts file read at deploy time. Default `~/.ssh/known_hosts`. */
    knownHosts?: string;
    /** Pinned host key fingerprints: `{ "203.0.113.5": "SHA256:..." }`. */
    hostKeys?: Record<string, string>;
}

/** The registry the hosts pull the image from. Credentials are kept secret in state. */
export interface RegistryArgs {
    /** Registry host (and port). Default: Docker Hub. */
    server?: pulumi.Input<string>;
    username: pulumi.Input<string>;
    password: pulumi.Input<string>;
}

/** Kamal's rolling boot. */
export interface BootArgs {
    /** Hosts booted at once per role: a count, or a percentage like `"25%"`. Default: all at once. */
    limit?: number | string;
    /** Seconds to wait between host groups. Default 0. */
    wait?: number;
}

/** Arguments of {@link KamalApp}: Kamal's deploy.yml in camelCase. */
export interface KamalAppArgs {
    /** The service name, in container and proxy names: lowercase letters, digits, `-`, `_`. */
    service: string;
    /** The image to run, e.g. `registry.example.com/app:v42`. */
    image: pulumi.Input<string>;
    /** Names this release's containers; a new version makes new containers. Default: the image's tag or digest. */
    version?: pulumi.Input<string>;
    /** Kamal's destination (e.g. `staging`), in container and proxy names. */
    destination?: string;
    /** The roles by name (at least one); names are lowercase letters, digits, `-`, `_`. */
    roles: Record<string, RoleArgs>;
    /** The role that gets the proxy by default and boots first. Default `web`, else the first role. */
    primaryRole?: string;
    /** Default `{ user: "root", port: 22, verifyHostKey: true }`. */
    ssh?: SshArgs;
    /** Env for every role. */
    env?: EnvArgs;
    /** Proxy settings for every proxied role. */
    proxy?: ProxyArgs;
    registry?: RegistryArgs;
    labels?: Record<string, string>;
    volumes?: string[];
    logging?: LoggingArgs;
    boot?: BootArgs;
    /** Seconds a new container has to become healthy. Default 30. */
    deployTimeout?: number;
    /** Seconds kamal-proxy lets in-flight requests finish on the old container. Default 30. */
    drainTimeout?: number;
    /** Seconds an unproxied container must keep running to count as healthy. Default 7. */
    readinessDelay?: number;
    /** Stopped containers kept per host across the service (Kamal's `prune`), for rollback. Default 5. */
    retainContainers?: number;
    /** Default `basecamp/kamal-proxy:v0.9.2`. */
    proxyImage?: string;
    /** A directory of 4xx/5xx `.html` pages kamal-proxy serves for its own errors (Kamal's `error_pages_path`). */
    errorPagesPath?: string;
    /** Ports kamal-proxy publishes on each host. Default `{ http: 80, https: 443 }`. */
    proxyPorts?: { http?: number; https?: number };
}

/** A hook with its defaults applied. */
export type HookConfig = Required<Omit<HookArgs, "holds">> & Pick<HookArgs, "holds">;

/** A host entry after validation: tags default to `[]`. */
export interface HostConfig extends HostArgs {
    tags: string[];
}

/** A role after validation. */
export interface RoleConfig extends Omit<RoleArgs, "hosts" | "hooks"> {
    hosts: (pulumi.Input<string> | HostConfig)[];
    hooks?: { postAppBoot?: HookConfig };
}

/** SSH settings after validation. */
export interface SshConfig extends Omit<SshArgs, "user" | "port" | "verifyHostKey"> {
    user: pulumi.Input<string>;
    port: number;
    verifyHostKey: boolean;
}

type Defaulted = "roles" | "primaryRole" | "ssh" | "deployTimeout" | "drainTimeout" | "readinessDelay" | "retainContainers" | "proxyImage" | "proxyPorts";

/** A KamalApp's arguments after validation, defaults applied: {@link KamalApp.config}. */
export interface KamalAppConfig extends Omit<KamalAppArgs, Defaulted> {
    roles: Record<string, RoleConfig>;
    primaryRole: string;
    ssh: SshConfig;
    deployTimeout: number;
    drainTimeout: number;
    readinessDelay: number;
    retainContainers: number;
    proxyImage: string;
    proxyPorts: { http: number; https: number };
}
