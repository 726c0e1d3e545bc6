/**
 * Kamal's `config/deploy.yml` (plus `config/deploy.DEST.yml` and the
 * `.kamal/secrets*` files) turned into validated KamalApp arguments.
 *
 * Everything is checked before any host is touched, and every problem is
 * reported at once, each as `file:line: key.path: what is wrong`.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { expandHome } from "../common/home";
import { renderErb } from "./erb";
import { projectRoot } from "./project";
import { appSchema, DEFAULT_PROXY_IMAGE, HOOK_RUN_ON, HOOK_WHEN } from "./schema";
import type { KamalAppArgs as KamalAppInput } from "./types";
import { Env, SecretStore } from "./secrets";
import { formatPath, KamalConfigError } from "./validate";
import { deepMerge, MapNode, Origin, parseYamlTree, plain, TreeNode } from "./yaml-tree";

export interface LoadOptions {
    /** The deploy file, relative to `cwd`. Default `config/deploy.yml`. */
    file?: string;
    /** Kamal's `-d DEST`: merges `config/deploy.DEST.yml` and reads `.kamal/secrets.DEST`. */
    destination?: string;
    /** Secrets by name; they win over the `.kamal/secrets*` files. */
    secrets?: Record<string, pulumi.Input<string>>;
    /** The environment for ERB and secrets files. Default `process.env`. */
    env?: Record<string, string | undefined>;
    /**
     * Where `file` is relative to. Default `process.cwd()`. `.kamal/` is found
     * in the project root: the directory holding `config/` (else `cwd`).
     */
    cwd?: string;
}

export interface LoadedDeployConfig {
    /** KamalApp arguments; they pass `appSchema`. */
    args: KamalAppInput;
    /** One line per setting we ignore, naming it and what happens instead. */
    warnings: string[];
    destination?: string;
}

type Path = (string | number)[];

interface Problem {
    origin?: Origin;
    path: string;
    message: string;
}

interface Field {
    node: TreeNode;
    /** The line to blame: the key's line for map entries, the item's for list items. */
    origin: Origin;
    ypath: Path;
}

/** Keys of one YAML map: ours, and Kamal's that we do not implement (with what we do instead). */
interface KeySpec {
    ours: readonly string[];
    kamal?: Readonly<Record<string, string>>;
    /** Allow `x-*` extension keys (Kamal allows them at the root only). */
    extensions?: boolean;
}

const PROXY_RUN_DEFAULT = (() => {
    const image = DEFAULT_PROXY_IMAGE;
    const colon = image.lastIndexOf(":");
    return { repository: image.slice(0, colon), version: image.slice(colon + 1) };
})();

const ROOT: KeySpec = {
    ours: [
        "service", "image", "servers", "roles", "env", "registry", "ssh", "proxy", "boot", "primary_role",
        "readiness_delay", "deploy_timeout", "drain_timeout", "stop_timeout", "retain_containers", "labels",
        "volumes", "logging", "require_destination", "secrets_path", "allow_empty_roles", "error_pages_path",
    ],
    kamal: {
        builder: "ignored; build and push your image yourself (docker build, @pulumi/docker-build) and pass image",
        accessories: "ignored; accessories are not deployed: run databases and other services as their own resources",
        aliases: "ignored; pulumi-kamal has no command aliases",
        asset_path: "ignored; assets are not bridged between versions, so requests for the previous version's assets may 404 during a deploy",
        hooks_path: "ignored; Kamal's local hooks are not run: use a role's hooks.post-app-boot to run a command in the new container",
        hooks_output: "ignored; Kamal's local hooks are not run",
        minimum_version: "ignored; it names a Kamal version, which pulumi-kamal does not check",
        run_directory: "ignored; pulumi-kamal keeps its files on the hosts under .kamal in the SSH user's home",
        sshkit: "ignored; pulumi-kamal manages its own SSH connections",
        output: "ignored; deploy output goes to Pulumi's log",
    },
    extensions: true,
};

const ROLE: KeySpec = {
    ours: ["hosts", "cmd", "env", "labels", "options", "proxy", "logging", "volumes", "stop_timeout", "hooks", "boot_after"],
    kamal: { asset_path: ROOT.kamal!.asset_path },
};

const ENV_KEYS = ["clear", "secret", "tags"] as const;

const REGISTRY: KeySpec = { ours: ["server", "username", "password"] };

const SSH: KeySpec = {
    ours: ["user", "port", "proxy", "keys", "key_data", "verify_host_key", "known_hosts", "host_keys"],
    kamal: {
        proxy_command: "ignored; use ssh.proxy (a jump host, [user@]host) instead",
        log_level: "ignored; SSH sessions are not logged",
        keys_only: "ignored; the key from ssh.keys or ssh.key_data is used when set",
        config: "ignored; OpenSSH config files are not read: set ssh.user, ssh.port, ssh.proxy and ssh.keys here",
        forward_agent: "ignored; the SSH agent is never forwarded to the hosts",
    },
};

const PROXY: KeySpec = {
    ours: [
        "host", "hosts", "app_port", "ssl", "ssl_redirect", "forward_headers", "response_timeout", "path_prefix",
        "path_prefixes", "strip_path_prefix", "healthcheck", "buffering", "run", "logging",
    ],
};
const PROXY_LOGGING: KeySpec = { ours: ["request_headers", "response_headers"] };
const SSL: KeySpec = { ours: ["certificate_pem", "private_key_pem"] };
const HEALTHCHECK: KeySpec = { ours: ["path", "interval", "timeout"] };
const BUFFERING: KeySpec = { ours: ["requests", "responses", "max_request_body", "max_response_body", "memory"] };
const PROXY_RUN: KeySpec = {
    ours: ["http_port", "https_port", "registry", "repository", "version"],
    kamal: {
        metrics_port: "ignored; kamal-proxy runs without a metrics port",
        debug: "ignored; kamal-proxy runs without debug logging",
        log_max_size: "ignored; kamal-proxy's log uses Docker's default size",
        publish: "ignored; kamal-proxy always publishes its HTTP and HTTPS ports",
        bind_ips: "ignored; kamal-proxy's ports are published on all addresses",
        options: "ignored; kamal-proxy runs with pulumi-kamal's docker run options",
    },
};
const BOOT: KeySpec = {
    ours: ["limit", "wait"],
    kamal: {
        parallel_roles:
            "ignored; roles boot in boot_after order (by default every other role after the primary role is healthy, as Kamal's barrier does)",
    },
};
const LOGGING: KeySpec = { ours: ["driver", "options"] };
const HOOKS: KeySpec = { ours: ["post-app-boot"] };
const HOOK: KeySpec = { ours: ["command", "when", "run_on", "timeout", "env", "holds"] };

const RESERVED_LABELS = ["destination", "role", "service"];
const RESTART = /^(?:no|always|unless-stopped|on-failure(?::\d+)?)$/;
const SECRET_REF = /^[A-Za-z_][A-Za-z0-9_]*(?::[A-Za-z0-9_.\-/]+)?$/;

/**
 * Load `config/deploy.yml` (and the destination's file and secrets) into
 * KamalApp arguments. Throws KamalConfigError listing every problem.
 */
export function loadDeployConfig(options: LoadOptions = {}): LoadedDeployConfig {
    const cwd = path.resolve(options.cwd ?? process.cwd());
    const file = path.resolve(cwd, options.file ?? "config/deploy.yml");
    const root = projectRoot(file, cwd);
    const display = (f: string) => {
        const rel = path.relative(cwd, f);
        return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : f;
    };
    const destination = options.destination;
    // Kamal sets KAMAL_DESTINATION before rendering ERB and reading secrets.
    const env: Env = { ...(options.env ?? process.env) };
    if (destination !== undefined) env.KAMAL_DESTINATION = destination;
    else delete env.KAMAL_DESTINATION;

    const where = `${display(file)}${destination !== undefined ? ` (destination ${destination})` : ""}`;
    if (!fs.existsSync(file)) throw new KamalConfigError(where, [`${display(file)}: configuration file not found`]);

    const loader = new Loader(root, cwd, env, options.secrets, destination);
    const files = [file];
    if (destination !== undefined) {
        if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(destination)) {
            loader.fail(undefined, [], `destination option: "${destination}" is not a destination name (letters, digits, '.', '-', '_')`);
        } else {
            // Kamal: config/deploy.yml -> config/deploy.DEST.yml (the extension replaced).
            const destFile = path.join(path.dirname(file), `${path.basename(file, path.extname(file))}.${destination}.yml`);
            if (fs.existsSync(destFile)) files.push(destFile);
            else loader.fail(undefined, [], `${display(destFile)}: configuration file not found for destination "${destination}"`);
        }
    }

    let tree: TreeNode | undefined;
    for (const f of files) {
        const shown = display(f);
        const rendered = renderErb(fs.readFileSync(f, "utf8"), env);
        for (const p of rendered.problems) loader.fail({ file: shown, line: p.line }, [], p.message);
        for (const w of rendered.warnings) loader.warnAt({ file: shown, line: w.line }, [], w.message);
        if (rendered.problems.length > 0) continue;
        const parsed = parseYamlTree(rendered.text, shown, rendered.sourceLine);
        for (const p of parsed.problems) loader.fail(p.origin, [], p.message);
        if (!parsed.root) {
            if (parsed.problems.length === 0) loader.fail({ file: shown, line: 1 }, [], "the file is empty");
            continue;
        }
        if (parsed.root.kind !== "map") {
            loader.fail(parsed.root.origin, [], "the file should be a map of settings (service:, image:, servers:, ...)");
            continue;
        }
        tree = tree ? deepMerge(tree, parsed.root) : parsed.root;
    }

    let args: Record<string, unknown> | undefined;
    if (tree && tree.kind === "map" && !loader.hasProblems()) {
        args = loader.app(tree, display);
    }
    if (args) loader.validate(args);
    if (loader.hasProblems()) throw new KamalConfigError(where, loader.report([...files.map(display), ...loader.secretFiles()]));
    return { args: args as unknown as KamalAppInput, warnings: loader.warningLines(files.map(display)), ...(destination !== undefined ? { destination } : {}) };
}

class Loader {
    private readonly problems: Problem[] = [];
    private readonly warnings: Problem[] = [];
    /** Arg paths already reported by us: zod's issues at or around them are redundant. */
    private readonly errored: Path[] = [];
    /** Where each arg came from, to turn zod's issue paths back into YAML lines and keys. */
    private readonly origins = new Map<string, { origin?: Origin; ypath: Path }>();
    private secrets?: SecretStore;

    constructor(
        private readonly root: string,
        private readonly cwd: string,
        private readonly env: Env,
        private readonly provided: Record<string, pulumi.Input<string>> | undefined,
        private readonly destination: string | undefined,
    ) {}

    // ---- reporting -------------------------------------------------------

    fail(origin: Origin | undefined, ypath: Path, message: string, argPath?: Path): void {
        this.problems.push({ origin, path: formatPath(ypath), message });
        if (argPath) this.errored.push(argPath);
    }

    warnAt(origin: Origin | undefined, ypath: Path, message: string): void {
        this.warnings.push({ origin, path: formatPath(ypath), message });
    }

    hasProblems(): boolean {
        return this.problems.length > 0;
    }

    private record(argPath: Path, origin: Origin | undefined, ypath: Path): void {
        this.origins.set(JSON.stringify(argPath), { origin, ypath });
    }

    /** The secrets files in the order they are read, as shown in messages. */
    secretFiles(): string[] {
        return this.secrets ? this.secrets.candidates().map((f) => this.secrets!.display(f)) : [];
    }

    report(fileOrder: string[]): string[] {
        return lines(this.problems, fileOrder);
    }

    warningLines(fileOrder: string[]): string[] {
        return lines(this.warnings, fileOrder);
    }

    // ---- node helpers ----------------------------------------------------

    private typeError(f: Field, expected: string, argPath?: Path): undefined {
        this.fail(f.origin, f.ypath, `should be ${expected} (got ${describe(plain(f.node))})`, argPath);
        return undefined;
    }

    private isNull(f: Field): boolean {
        return f.node.kind === "scalar" && f.node.value === null;
    }

    /** The map's entries as fields (null values are absent), after checking its keys. */
    private map(f: Field, spec: KeySpec | undefined, argPath?: Path): Map<string, Field> | undefined {
        if (f.node.kind !== "map") return this.typeError(f, "a map", argPath);
        const out = new Map<string, Field>();
        const valid = spec ? [...spec.ours, ...Object.keys(spec.kamal ?? {})] : [];
        for (const e of f.node.entries) {
            const child: Field = { node: e.value, origin: e.keyOrigin, ypath: [...f.ypath, e.key] };
            if (spec) {
                if (spec.extensions && e.key.startsWith("x-")) continue;
                if (spec.kamal && Object.prototype.hasOwnProperty.call(spec.kamal, e.key)) {
                    this.warnAt(e.keyOrigin, child.ypath, spec.kamal[e.key]);
                    continue;
                }
                if (!spec.ours.includes(e.key)) {
                    this.fail(e.keyOrigin, child.ypath, `unknown key${didYouMean(e.key, valid)}`);
                    continue;
                }
            }
            if (this.isNull(child)) continue;
            out.set(e.key, child);
        }
        return out;
    }

    private items(f: Field, argPath?: Path): Field[] | undefined {
        if (f.node.kind !== "seq") return this.typeError(f, "a list", argPath);
        return f.node.items.map((node, i) => ({ node, origin: node.origin, ypath: [...f.ypath, i] }));
    }

    /** Kamal accepts "stringish" scalars (numbers, booleans) where it wants strings. */
    private str(f: Field, argPath?: Path): string | undefined {
        if (f.node.kind === "scalar" && f.node.value !== null) return String(f.node.value);
        return this.typeError(f, "a string", argPath);
    }

    private num(f: Field, argPath?: Path): number | undefined {
        if (f.node.kind === "scalar") {
            if (typeof f.node.value === "number") return f.node.value;
            if (typeof f.node.value === "string" && /^\s*-?\d+(\.\d+)?\s*$/.test(f.node.value)) return Number(f.node.value);
        }
        return this.typeError(f, "a number", argPath);
    }

    private int(f: Field, argPath?: Path): number | undefined {
        const n = this.num(f, argPath);
        if (n !== undefined && !Number.isInteger(n)) return this.typeError(f, "a whole number", argPath);
        return n;
    }

    private bool(f: Field, argPath?: Path): boolean | undefined {
        if (f.node.kind === "scalar" && typeof f.node.value === "boolean") return f.node.value;
        return this.typeError(f, "true or false", argPath);
    }

    private oneOf(f: Field, argPath: Path, allowed: readonly string[]): string | undefined {
        const s = this.str(f, argPath);
        if (s === undefined) return undefined;
        if (allowed.includes(s)) return s;
        this.fail(f.origin, f.ypath, `should be one of ${allowed.join(", ")}${didYouMean(s, allowed)} (got ${describe(s)})`, argPath);
        return undefined;
    }

    private strList(f: Field, argPath: Path): string[] | undefined {
        const items = this.items(f, argPath);
        if (!items) return undefined;
        const out: string[] = [];
        items.forEach((item, i) => {
            const s = this.str(item, [...argPath, i]);
            if (s !== undefined) {
                this.record([...argPath, out.length], item.origin, item.ypath);
                out.push(s);
            }
        });
        return out;
    }

    private strMap(f: Field, argPath: Path): Record<string, string> | undefined {
        const entries = this.map(f, undefined, argPath);
        if (!entries) return undefined;
        const out: Record<string, string> = {};
        // null values are errors in a string map (map() dropped them): report them.
        if (f.node.kind === "map") {
            for (const e of f.node.entries) {
                if (e.value.kind === "scalar" && e.value.value === null) {
                    this.fail(e.keyOrigin, [...f.ypath, e.key], "should be a string (got nothing)", [...argPath, e.key]);
                }
            }
        }
        for (const [k, child] of entries) {
            const s = this.str(child, [...argPath, k]);
            if (s === undefined) continue;
            out[k] = s;
            this.record([...argPath, k], child.origin, child.ypath);
        }
        return out;
    }

    /** Set `target[key]` from a field, recording where it came from. */
    private put<T>(target: Record<string, unknown>, key: string, argPath: Path, f: Field | undefined, read: (f: Field, argPath: Path) => T | undefined): T | undefined {
        if (!f) return undefined;
        const value = read(f, [...argPath, key]);
        if (value === undefined) return undefined;
        target[key] = value;
        this.record([...argPath, key], f.origin, f.ypath);
        return value;
    }

    // ---- the app ---------------------------------------------------------

    app(tree: MapNode, display: (f: string) => string): Record<string, unknown> {
        const rootField: Field = { node: tree, origin: tree.origin, ypath: [] };
        this.record([], tree.origin, []);
        const top = this.map(rootField, ROOT)!;
        const args: Record<string, unknown> = {};

        // secrets_path first: env, registry and ssh read secrets.
        const secretsPath = top.get("secrets_path");
        let secretsPathValue: string | undefined;
        if (secretsPath) secretsPathValue = this.str(secretsPath);
        this.secrets = new SecretStore({
            root: this.root,
            cwd: this.cwd,
            secretsPath: secretsPathValue,
            destination: this.destination,
            env: this.env,
            provided: this.provided,
        });

        const required = (key: string, argKey: string) => {
            if (!top.has(key)) this.fail(tree.origin, [key], "is required", [argKey]);
        };
        required("service", "service");
        required("image", "image");

        this.put(args, "service", [], top.get("service"), (f, p) => this.str(f, p));

        const registry = top.get("registry") ? this.registry(top.get("registry")!) : undefined;
        if (registry) {
            args.registry = registry.args;
            this.record(["registry"], top.get("registry")!.origin, ["registry"]);
        }
        const image = top.get("image");
        if (image) this.image(args, image, registry?.server);

        const destination = this.destination;
        if (destination !== undefined) {
            args.destination = destination;
            this.record(["destination"], undefined, ["destination option"]);
        }

        const require = top.get("require_destination");
        if (require && this.bool(require) === true && destination === undefined) {
            this.fail(require.origin, require.ypath, "this configuration needs a destination: pass destination (Kamal's -d DEST), which merges config/deploy.DEST.yml");
        }

        this.put(args, "primaryRole", [], top.get("primary_role"), (f, p) => this.str(f, p));
        for (const [yamlKey, argKey] of [
            ["readiness_delay", "readinessDelay"],
            ["deploy_timeout", "deployTimeout"],
            ["drain_timeout", "drainTimeout"],
        ] as const) {
            this.put(args, argKey, [], top.get(yamlKey), (f, p) => this.num(f, p));
        }
        this.put(args, "retainContainers", [], top.get("retain_containers"), (f, p) => this.int(f, p));
        this.put(args, "labels", [], top.get("labels"), (f, p) => this.labels(f, p));
        this.put(args, "volumes", [], top.get("volumes"), (f, p) => this.strList(f, p));
        this.put(args, "logging", [], top.get("logging"), (f, p) => this.logging(f, p));
        this.put(args, "errorPagesPath", [], top.get("error_pages_path"), (f, p) => {
            const dir = this.str(f, p);
            if (dir === undefined) return undefined;
            // Kamal reads it relative to the directory it runs in: the project root.
            const abs = path.resolve(this.root, dir);
            if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory()) {
                return this.fail(f.origin, f.ypath, `${abs} is not a directory: point it at your 4xx/5xx .html pages (e.g. public)`, p);
            }
            return abs;
        });

        const envField = top.get("env");
        if (envField) this.put(args, "env", [], envField, (f, p) => this.env_(f, p, true));

        const ssh = top.get("ssh");
        if (ssh) this.put(args, "ssh", [], ssh, (f, p) => this.ssh(f, p));

        const boot = top.get("boot");
        if (boot) this.put(args, "boot", [], boot, (f, p) => this.boot(f, p));

        let rootProxy: Record<string, unknown> | undefined;
        const proxy = top.get("proxy");
        if (proxy) {
            rootProxy = this.proxy(proxy, ["proxy"], args);
            if (rootProxy) {
                args.proxy = rootProxy;
                this.record(["proxy"], proxy.origin, proxy.ypath);
            }
        }

        // servers (or roles, our other name for it)
        const servers = top.get("servers");
        const rolesAlias = top.get("roles");
        if (servers && rolesAlias) {
            this.fail(rolesAlias.origin, rolesAlias.ypath, "servers and roles are the same setting (roles is another name for servers): keep one", ["roles"]);
        }
        const serversField = servers ?? rolesAlias;
        if (!serversField) {
            this.fail(tree.origin, ["servers"], "is required: list the hosts, or map role names to their hosts", ["roles"]);
        } else {
            const stopTimeout = top.get("stop_timeout");
            const defaultStop = stopTimeout ? this.num(stopTimeout) : undefined;
            const allowEmpty = top.get("allow_empty_roles");
            const roles = this.roles(serversField, {
                rootProxy,
                stopTimeout: defaultStop !== undefined ? { value: defaultStop, field: stopTimeout! } : undefined,
                allowEmpty: allowEmpty ? this.bool(allowEmpty) === true : false,
                primary: typeof args.primaryRole === "string" ? args.primaryRole : "web",
            });
            if (roles) {
                args.roles = roles;
                this.record(["roles"], serversField.origin, serversField.ypath);
                this.checkRoleNames(args, roles);
                this.checkSsl(args, roles);
            }
        }

        this.localHooks(display);
        if (this.secrets) {
            for (const p of this.secrets.problems) this.fail({ file: p.file, line: p.line }, [], p.message);
        }
        return args;
    }

    private image(args: Record<string, unknown>, f: Field, server: string | undefined): void {
        const name = this.str(f, ["image"]);
        if (name === undefined) return;
        // Kamal deploys "<registry.server>/<image>:<version>".
        let ref = server && !name.startsWith(`${server}/`) ? `${server}/${name}` : name;
        const lastSegment = ref.slice(ref.lastIndexOf("/") + 1);
        if (!lastSegment.includes(":") && !ref.includes("@")) {
            const version = this.env.VERSION;
            if (version) ref = `${ref}:${version}`;
            else {
                this.warnAt(
                    f.origin,
                    f.ypath,
                    `"${ref}" has no tag; Kamal would deploy the git commit's tag, pulumi-kamal deploys the image as written (Docker pulls :latest): put the tag in image, set VERSION, or pass image from your build`,
                );
            }
        }
        args.image = ref;
        this.record(["image"], f.origin, f.ypath);
    }

    private registry(f: Field): { args: Record<string, unknown>; server?: string } | undefined {
        const m = this.map(f, REGISTRY, ["registry"]);
        if (!m) return undefined;
        const out: Record<string, unknown> = {};
        const server = m.get("server") ? this.str(m.get("server")!, ["registry", "server"]) : undefined;
        if (server !== undefined) {
            if (/^localhost[:$]/.test(server)) {
                this.fail(
                    m.get("server")!.origin,
                    m.get("server")!.ypath,
                    `${server} is Kamal's local registry, which pulumi-kamal does not run: push the image to a registry the hosts can reach and set registry.server to it`,
                    ["registry"],
                );
                return undefined;
            }
            out.server = server;
            this.record(["registry", "server"], m.get("server")!.origin, m.get("server")!.ypath);
        }
        for (const key of ["username", "password"] as const) {
            const field = m.get(key);
            const argPath = ["registry", key];
            if (!field) {
                this.fail(f.origin, [...f.ypath, key], "is required", argPath);
                continue;
            }
            this.record(argPath, field.origin, field.ypath);
            if (field.node.kind === "seq") {
                const [first] = field.node.items;
                if (field.node.items.length !== 1 || first.kind !== "scalar" || typeof first.value !== "string") {
                    this.typeError(field, "a string or a list with one secret name", argPath);
                    continue;
                }
                const secret = this.secret(first.value, { node: first, origin: first.origin, ypath: [...field.ypath, 0] }, argPath);
                if (secret) out[key] = secret;
            } else if (field.node.kind === "scalar") {
                const value = this.str(field, argPath);
                if (value === undefined) continue;
                out[key] = key === "password" ? pulumi.secret(value) : value;
            } else {
                this.typeError(field, "a string or a list with one secret name", argPath);
            }
        }
        return { args: out, server };
    }

    /** Kamal's `ssl: { certificate_pem, private_key_pem }`: names of secrets holding the PEM text. */
    private customCertificate(f: Field, argPath: Path): Record<string, unknown> | undefined {
        const m = this.map(f, SSL, argPath);
        if (!m) return undefined;
        const out: Record<string, unknown> = {};
        for (const [key, argKey] of [["certificate_pem", "certificatePem"], ["private_key_pem", "privateKeyPem"]] as const) {
            const field = m.get(key);
            if (!field) {
                this.fail(f.origin, [...f.ypath, key], "is required: the name of a secret holding the PEM text", [...argPath, argKey]);
                continue;
            }
            const name = this.str(field, [...argPath, argKey]);
            const value = name === undefined ? undefined : this.secret(name, field, [...argPath, argKey]);
            if (value) out[argKey] = value;
        }
        return out;
    }

    /** A secret's value (as a Pulumi secret), or undefined after reporting why not. */
    private secret(name: string, f: Field, argPath: Path): pulumi.Output<string> | undefined {
        const r = this.secrets!.get(name);
        if ("value" in r) return r.value;
        if ("error" in r) this.fail(f.origin, f.ypath, r.error, argPath);
        else this.errored.push(argPath);
        return undefined;
    }

    private labels(f: Field, argPath: Path): Record<string, string> | undefined {
        const labels = this.strMap(f, argPath);
        if (!labels) return undefined;
        for (const key of Object.keys(labels)) {
            if (RESERVED_LABELS.includes(key)) {
                const e = (f.node as MapNode).entries.find((x) => x.key === key)!;
                this.fail(e.keyOrigin, [...f.ypath, key], "destination, role and service are reserved labels: pulumi-kamal sets them", [...argPath, key]);
                delete labels[key];
            }
        }
        return labels;
    }

    private logging(f: Field, argPath: Path): Record<string, unknown> | undefined {
        const m = this.map(f, LOGGING, argPath);
        if (!m) return undefined;
        const out: Record<string, unknown> = {};
        this.put(out, "driver", argPath, m.get("driver"), (x, p) => this.str(x, p));
        this.put(out, "options", argPath, m.get("options"), (x, p) => this.strMap(x, p));
        return out;
    }

    /** Kamal's env: a map (all clear), or { clear, secret: [NAME | NAME:SECRET], tags } */
    private env_(f: Field, argPath: Path, allowTags: boolean): Record<string, unknown> | undefined {
        if (f.node.kind !== "map") return this.typeError(f, "a map", argPath);
        const complex = f.node.entries.some((e) => (ENV_KEYS as readonly string[]).includes(e.key));
        if (!complex) {
            const clear = this.strMap(f, [...argPath, "clear"]);
            return clear ? { clear } : undefined;
        }
        const m = this.map(f, { ours: ENV_KEYS }, argPath);
        if (!m) return undefined;
        const out: Record<string, unknown> = {};
        this.put(out, "clear", argPath, m.get("clear"), (x, p) => this.strMap(x, p));
        const secret = m.get("secret");
        if (secret) {
            const items = this.items(secret, [...argPath, "secret"]);
            if (items) {
                const values: Record<string, unknown> = {};
                for (const item of items) {
                    const ref = this.str(item, [...argPath, "secret"]);
                    if (ref === undefined) continue;
                    if (!SECRET_REF.test(ref)) {
                        this.fail(item.origin, item.ypath, `"${ref}" is not a secret reference: write NAME, or NAME:SECRET to read NAME from the secret SECRET`, [...argPath, "secret"]);
                        continue;
                    }
                    // "NAME:SECRET": the variable NAME holds the secret SECRET (Kamal's aliased secrets).
                    const colon = ref.indexOf(":");
                    const name = colon >= 0 ? ref.slice(0, colon) : ref;
                    const secretName = colon >= 0 ? ref.slice(colon + 1) : ref;
                    const valuePath = [...argPath, "secret", name];
                    this.record(valuePath, item.origin, item.ypath);
                    const value = this.secret(secretName, item, valuePath);
                    if (value) values[name] = value;
                }
                out.secret = values;
                this.record([...argPath, "secret"], secret.origin, secret.ypath);
            }
        }
        const tags = m.get("tags");
        if (tags) {
            if (!allowTags) {
                this.fail(tags.origin, tags.ypath, "tags are only allowed in the root env", [...argPath, "tags"]);
            } else {
                const tagMap = this.map(tags, undefined, [...argPath, "tags"]);
                if (tagMap) {
                    const out2: Record<string, unknown> = {};
                    for (const [tag, tf] of tagMap) {
                        const tagEnv = this.env_(tf, [...argPath, "tags", tag], false);
                        if (tagEnv) {
                            out2[tag] = tagEnv;
                            this.record([...argPath, "tags", tag], tf.origin, tf.ypath);
                        }
                    }
                    out.tags = out2;
                    this.record([...argPath, "tags"], tags.origin, tags.ypath);
                }
            }
        }
        return out;
    }

    private ssh(f: Field, argPath: Path): Record<string, unknown> | undefined {
        const m = this.map(f, SSH, argPath);
        if (!m) return undefined;
        const out: Record<string, unknown> = {};
        this.put(out, "user", argPath, m.get("user"), (x, p) => this.str(x, p));
        this.put(out, "port", argPath, m.get("port"), (x, p) => this.int(x, p));
        // Kamal's jump host defaults to root@ when it names no user.
        this.put(out, "proxy", argPath, m.get("proxy"), (x, p) => {
            const s = this.str(x, p);
            return s === undefined ? undefined : s.includes("@") ? s : `root@${s}`;
        });
        const keys = m.get("keys");
        if (keys) {
            const list = this.strList(keys, [...argPath, "keyPath"]);
            if (list && list.length > 0) {
                out.keyPath = expandHome(list[0]);
                this.record([...argPath, "keyPath"], keys.origin, [...keys.ypath, 0]);
                if (list.length > 1) this.warnAt(keys.origin, keys.ypath, `only the first key (${list[0]}) is used`);
            }
        }
        const keyData = m.get("key_data");
        if (keyData) {
            const items = this.items(keyData, [...argPath, "privateKey"]);
            if (items && items.length > 0) {
                const first = items[0];
                const ref = this.str(first, [...argPath, "privateKey"]);
                if (ref !== undefined) {
                    this.record([...argPath, "privateKey"], first.origin, first.ypath);
                    if (ref.includes("-----BEGIN")) {
                        out.privateKey = pulumi.secret(ref);
                        this.warnAt(first.origin, first.ypath, "an inline private key is deprecated in Kamal: put it in .kamal/secrets and list its name here");
                    } else {
                        const value = this.secret(ref, first, [...argPath, "privateKey"]);
                        if (value) out.privateKey = value;
                    }
                }
                if (items.length > 1) this.warnAt(keyData.origin, keyData.ypath, "only the first key is used");
            }
        }
        this.put(out, "verifyHostKey", argPath, m.get("verify_host_key"), (x, p) => this.bool(x, p));
        this.put(out, "knownHosts", argPath, m.get("known_hosts"), (x, p) => {
            const s = this.str(x, p);
            return s === undefined ? undefined : expandHome(s);
        });
        this.put(out, "hostKeys", argPath, m.get("host_keys"), (x, p) => this.strMap(x, p));
        return out;
    }

    private boot(f: Field, argPath: Path): Record<string, unknown> | undefined {
        const m = this.map(f, BOOT, argPath);
        if (!m) return undefined;
        const out: Record<string, unknown> = {};
        this.put(out, "limit", argPath, m.get("limit"), (x, p) => {
            if (x.node.kind === "scalar" && typeof x.node.value === "string" && /%\s*$/.test(x.node.value)) return x.node.value.trim();
            return this.int(x, p);
        });
        this.put(out, "wait", argPath, m.get("wait"), (x, p) => this.num(x, p));
        return out;
    }

    /** A proxy map (root or role). At the root, `run` sets the proxy image and ports on `app`. */
    private proxy(f: Field, argPath: Path, app?: Record<string, unknown>): Record<string, unknown> | undefined {
        const m = this.map(f, PROXY, argPath);
        if (!m) return undefined;
        const out: Record<string, unknown> = {};
        const host = m.get("host");
        if (host) {
            const s = this.str(host, [...argPath, "host"]);
            if (s !== undefined && s.includes(",")) {
                // Kamal splits host on commas.
                out.hosts = s.split(",").map((h) => h.trim()).filter(Boolean);
                this.record([...argPath, "hosts"], host.origin, host.ypath);
            } else if (s !== undefined) {
                out.host = s;
                this.record([...argPath, "host"], host.origin, host.ypath);
            }
        }
        const hosts = m.get("hosts");
        if (hosts) {
            const list = this.strList(hosts, [...argPath, "hosts"]);
            if (list) {
                if (host) {
                    this.fail(hosts.origin, hosts.ypath, "set host or hosts, not both", [...argPath, "hosts"]);
                    delete out.host;
                }
                out.hosts = list;
                this.record([...argPath, "hosts"], hosts.origin, hosts.ypath);
            }
        }
        this.put(out, "appPort", argPath, m.get("app_port"), (x, p) => this.int(x, p));
        const ssl = m.get("ssl");
        if (ssl) {
            if (ssl.node.kind === "map") {
                this.put(out, "ssl", argPath, ssl, (x, p) => this.customCertificate(x, p));
            } else this.put(out, "ssl", argPath, ssl, (x, p) => this.bool(x, p));
        }
        this.put(out, "sslRedirect", argPath, m.get("ssl_redirect"), (x, p) => this.bool(x, p));
        this.put(out, "forwardHeaders", argPath, m.get("forward_headers"), (x, p) => this.bool(x, p));
        this.put(out, "responseTimeout", argPath, m.get("response_timeout"), (x, p) => this.num(x, p));
        this.put(out, "stripPathPrefix", argPath, m.get("strip_path_prefix"), (x, p) => this.bool(x, p));
        // Kamal: path_prefixes (a list) wins over path_prefix; both become one comma-separated value.
        const prefixes = m.get("path_prefixes");
        if (prefixes) {
            const list = this.strList(prefixes, [...argPath, "pathPrefix"]);
            if (list) {
                out.pathPrefix = list.join(",");
                this.record([...argPath, "pathPrefix"], prefixes.origin, prefixes.ypath);
            }
        } else this.put(out, "pathPrefix", argPath, m.get("path_prefix"), (x, p) => this.str(x, p));
        const hc = m.get("healthcheck");
        if (hc) {
            this.put(out, "healthcheck", argPath, hc, (x, p) => {
                const hm = this.map(x, HEALTHCHECK, p);
                if (!hm) return undefined;
                const o: Record<string, unknown> = {};
                this.put(o, "path", p, hm.get("path"), (y, q) => this.str(y, q));
                this.put(o, "interval", p, hm.get("interval"), (y, q) => this.num(y, q));
                this.put(o, "timeout", p, hm.get("timeout"), (y, q) => this.num(y, q));
                return o;
            });
        }
        const buffering = m.get("buffering");
        if (buffering) {
            this.put(out, "buffering", argPath, buffering, (x, p) => {
                const bm = this.map(x, BUFFERING, p);
                if (!bm) return undefined;
                const o: Record<string, unknown> = {};
                this.put(o, "requests", p, bm.get("requests"), (y, q) => this.bool(y, q));
                this.put(o, "responses", p, bm.get("responses"), (y, q) => this.bool(y, q));
                this.put(o, "maxRequestBody", p, bm.get("max_request_body"), (y, q) => this.int(y, q));
                this.put(o, "maxResponseBody", p, bm.get("max_response_body"), (y, q) => this.int(y, q));
                this.put(o, "memory", p, bm.get("memory"), (y, q) => this.int(y, q));
                return o;
            });
        }
        const logging = m.get("logging");
        if (logging) {
            this.put(out, "logging", argPath, logging, (x, p) => {
                const lm = this.map(x, PROXY_LOGGING, p);
                if (!lm) return undefined;
                const o: Record<string, unknown> = {};
                this.put(o, "requestHeaders", p, lm.get("request_headers"), (y, q) => this.strList(y, q));
                this.put(o, "responseHeaders", p, lm.get("response_headers"), (y, q) => this.strList(y, q));
                return o;
            });
        }
        const run = m.get("run");
        if (run) {
            if (!app) this.warnAt(run.origin, run.ypath, "ignored; kamal-proxy runs once per host: set proxy.run at the root");
            else this.proxyRun(run, app);
        }
        return out;
    }

    private proxyRun(f: Field, app: Record<string, unknown>): void {
        const m = this.map(f, PROXY_RUN, ["proxyPorts"]);
        if (!m) return;
        const ports: Record<string, unknown> = {};
        this.put(ports, "http", ["proxyPorts"], m.get("http_port"), (x, p) => this.int(x, p));
        this.put(ports, "https", ["proxyPorts"], m.get("https_port"), (x, p) => this.int(x, p));
        if (Object.keys(ports).length > 0) {
            app.proxyPorts = ports;
            this.record(["proxyPorts"], f.origin, f.ypath);
        }
        const registry = m.get("registry") ? this.str(m.get("registry")!, ["proxyImage"]) : undefined;
        const repository = m.get("repository") ? this.str(m.get("repository")!, ["proxyImage"]) : undefined;
        const version = m.get("version") ? this.str(m.get("version")!, ["proxyImage"]) : undefined;
        if (registry !== undefined || repository !== undefined || version !== undefined) {
            // Kamal: [registry/]repository:version, default basecamp/kamal-proxy and the version it requires.
            const repo = repository ?? PROXY_RUN_DEFAULT.repository;
            app.proxyImage = `${registry ? `${registry}/` : ""}${repo}:${version ?? PROXY_RUN_DEFAULT.version}`;
            const first = m.get("version") ?? m.get("repository") ?? m.get("registry")!;
            this.record(["proxyImage"], first.origin, first.ypath);
        }
    }

    // ---- roles -----------------------------------------------------------

    private roles(
        f: Field,
        ctx: {
            rootProxy?: Record<string, unknown>;
            stopTimeout?: { value: number; field: Field };
            allowEmpty: boolean;
            primary: string;
        },
    ): Record<string, unknown> | undefined {
        const out: Record<string, unknown> = {};
        if (f.node.kind === "seq") {
            // A plain host list: the one role "web".
            const hosts = this.hosts(f, ["roles", "web", "hosts"]);
            const role: Record<string, unknown> = { hosts: hosts ?? [] };
            this.record(["roles", "web"], f.origin, f.ypath);
            this.record(["roles", "web", "hosts"], f.origin, f.ypath);
            this.roleDefaults(role, "web", ctx);
            out.web = role;
            return out;
        }
        if (f.node.kind !== "map") return this.typeError(f, "a list of hosts or a map of roles", ["roles"]);
        const m = this.map(f, undefined, ["roles"])!;
        for (const e of f.node.entries) {
            if (e.value.kind === "scalar" && e.value.value === null) {
                this.fail(e.keyOrigin, [...f.ypath, e.key], "should be a list of hosts or a map with hosts (got nothing)", ["roles", e.key]);
            }
        }
        for (const [name, rf] of m) {
            const argPath: Path = ["roles", name];
            this.record(argPath, rf.origin, rf.ypath);
            const role = this.role(rf, argPath, name, ctx);
            if (!role) continue;
            const hosts = role.hosts as unknown[];
            if (hosts.length === 0 && !this.errored.some((p) => startsWith(p, [...argPath, "hosts"]))) {
                if (ctx.allowEmpty && name !== ctx.primary) {
                    this.warnAt(rf.origin, rf.ypath, "has no hosts; skipped (allow_empty_roles)");
                    continue;
                }
                this.fail(
                    rf.origin,
                    rf.ypath,
                    name === ctx.primary ? "the primary role needs at least one host" : "has no hosts: list at least one, or set allow_empty_roles: true to skip it",
                    [...argPath, "hosts"],
                );
            }
            out[name] = role;
        }
        return out;
    }

    private role(
        f: Field,
        argPath: Path,
        name: string,
        ctx: { rootProxy?: Record<string, unknown>; stopTimeout?: { value: number; field: Field } },
    ): Record<string, unknown> | undefined {
        if (f.node.kind === "seq") {
            const role: Record<string, unknown> = { hosts: this.hosts(f, [...argPath, "hosts"]) ?? [] };
            this.record([...argPath, "hosts"], f.origin, f.ypath);
            this.roleDefaults(role, name, ctx);
            return role;
        }
        if (f.node.kind !== "map") return this.typeError(f, "a list of hosts or a map with hosts", argPath);
        const m = this.map(f, ROLE, argPath)!;
        const role: Record<string, unknown> = {};
        const hosts = m.get("hosts");
        if (!hosts) {
            this.fail(f.origin, [...f.ypath, "hosts"], "is required", [...argPath, "hosts"]);
            role.hosts = [];
        } else {
            role.hosts = this.hosts(hosts, [...argPath, "hosts"]) ?? [];
            this.record([...argPath, "hosts"], hosts.origin, hosts.ypath);
        }
        this.put(role, "cmd", argPath, m.get("cmd"), (x, p) => (x.node.kind === "seq" ? this.strList(x, p) : this.str(x, p)));
        this.put(role, "env", argPath, m.get("env"), (x, p) => this.env_(x, p, false));
        this.put(role, "labels", argPath, m.get("labels"), (x, p) => this.labels(x, p));
        this.put(role, "options", argPath, m.get("options"), (x, p) => this.options(x, p));
        this.put(role, "logging", argPath, m.get("logging"), (x, p) => this.logging(x, p));
        this.put(role, "volumes", argPath, m.get("volumes"), (x, p) => this.strList(x, p));
        this.put(role, "stopTimeout", argPath, m.get("stop_timeout"), (x, p) => this.num(x, p));
        this.put(role, "bootAfter", argPath, m.get("boot_after"), (x, p) => this.strList(x, p));
        this.put(role, "hooks", argPath, m.get("hooks"), (x, p) => this.hooks(x, p));
        const proxy = m.get("proxy");
        if (proxy) {
            if (proxy.node.kind === "scalar" && typeof proxy.node.value === "boolean") {
                role.proxy = proxy.node.value;
                this.record([...argPath, "proxy"], proxy.origin, proxy.ypath);
            } else if (proxy.node.kind === "map") {
                const own = this.proxy(proxy, [...argPath, "proxy"]);
                if (own) {
                    // Kamal: the role's proxy settings deep-merged over the root's.
                    role.proxy = this.mergeProxy(ctx.rootProxy, own, [...argPath, "proxy"]);
                    this.record([...argPath, "proxy"], proxy.origin, proxy.ypath);
                }
            } else this.typeError(proxy, "true, false or a map of proxy settings", [...argPath, "proxy"]);
        }
        this.roleDefaults(role, name, ctx);
        return role;
    }

    /** Root settings Kamal applies to every role. */
    private roleDefaults(role: Record<string, unknown>, name: string, ctx: { stopTimeout?: { value: number; field: Field } }): void {
        if (ctx.stopTimeout && role.stopTimeout === undefined) {
            role.stopTimeout = ctx.stopTimeout.value;
            this.record(["roles", name, "stopTimeout"], ctx.stopTimeout.field.origin, ctx.stopTimeout.field.ypath);
        }
    }

    private mergeProxy(root: Record<string, unknown> | undefined, own: Record<string, unknown>, argPath: Path): Record<string, unknown> {
        const merged: Record<string, unknown> = { ...(root ?? {}) };
        // Inherited settings keep pointing at the root's lines and keys.
        for (const [key, rec] of [...this.origins]) {
            const p = JSON.parse(key) as Path;
            if (p[0] === "proxy" && p.length > 1 && root && (p[1] as string) in root && !((p[1] as string) in own)) {
                this.origins.set(JSON.stringify([...argPath, ...p.slice(1)]), rec);
            }
        }
        for (const [k, v] of Object.entries(own)) {
            const base = merged[k];
            merged[k] = isPlainObject(base) && isPlainObject(v) ? { ...base, ...v } : v;
        }
        // host and hosts replace each other (Kamal would reject having both after the merge).
        if ("host" in own) delete merged.hosts;
        if ("hosts" in own) delete merged.host;
        return merged;
    }

    private hosts(f: Field, argPath: Path): unknown[] | undefined {
        const items = this.items(f, argPath);
        if (!items) return undefined;
        const out: unknown[] = [];
        for (const item of items) {
            const at = [...argPath, out.length];
            if (item.node.kind === "scalar" && item.node.value !== null) {
                out.push(String(item.node.value));
                this.record(at, item.origin, item.ypath);
                continue;
            }
            if (item.node.kind === "map") {
                if (item.node.entries.length !== 1) {
                    this.fail(item.origin, item.ypath, `one host per list item, as "host: tag" or "host: [tags]" (found ${item.node.entries.length} keys)`, argPath);
                    continue;
                }
                const e = item.node.entries[0];
                const tf: Field = { node: e.value, origin: e.keyOrigin, ypath: [...item.ypath, e.key] };
                let tags: string[] | undefined;
                if (tf.node.kind === "seq") tags = this.strList(tf, [...at, "tags"]);
                else if (tf.node.kind === "scalar" && tf.node.value !== null) tags = [String(tf.node.value)];
                else this.typeError(tf, "a tag or a list of tags", argPath);
                if (tags === undefined) continue;
                out.push({ host: e.key, tags });
                this.record(at, item.origin, item.ypath);
                this.record([...at, "host"], e.keyOrigin, item.ypath);
                this.record([...at, "tags"], tf.origin, tf.ypath);
                continue;
            }
            this.typeError(item, `a host ("1.2.3.4") or a tagged host ("1.2.3.4: tag")`, argPath);
        }
        return out;
    }

    private options(f: Field, argPath: Path): Record<string, unknown> | undefined {
        const m = this.map(f, undefined, argPath);
        if (!m) return undefined;
        const out: Record<string, unknown> = {};
        if (f.node.kind === "map") {
            // A valueless option (`privileged:`) is a flag, as Kamal passes it.
            for (const e of f.node.entries) {
                if (e.value.kind === "scalar" && e.value.value === null) {
                    out[e.key] = true;
                    this.record([...argPath, e.key], e.keyOrigin, [...f.ypath, e.key]);
                }
            }
        }
        for (const [k, x] of m) {
            const p = [...argPath, k];
            let value: unknown;
            if (x.node.kind === "scalar") value = typeof x.node.value === "boolean" || typeof x.node.value === "number" ? x.node.value : String(x.node.value);
            else if (x.node.kind === "seq") value = this.strList(x, p);
            else this.typeError(x, "a value or a list of values", p);
            if (value === undefined) continue;
            if (k === "restart" && (typeof value !== "string" || !RESTART.test(value))) {
                this.fail(x.origin, x.ypath, 'should be no, always, unless-stopped, on-failure or on-failure:N (write "no" in quotes to disable restarts)', p);
                continue;
            }
            out[k] = value;
            this.record(p, x.origin, x.ypath);
        }
        return out;
    }

    private hooks(f: Field, argPath: Path): Record<string, unknown> | undefined {
        const m = this.map(f, HOOKS, argPath);
        if (!m) return undefined;
        const out: Record<string, unknown> = {};
        const hook = m.get("post-app-boot");
        if (hook) {
            const p = [...argPath, "postAppBoot"];
            let value: unknown;
            if (hook.node.kind === "seq") value = this.strList(hook, p);
            else if (hook.node.kind === "scalar") value = this.str(hook, p);
            else {
                const hm = this.map(hook, HOOK, p)!;
                const o: Record<string, unknown> = {};
                const command = hm.get("command");
                if (!command) this.fail(hook.origin, [...hook.ypath, "command"], "is required", [...p, "command"]);
                else this.put(o, "command", p, command, (x, q) => (x.node.kind === "seq" ? this.strList(x, q) : this.str(x, q)));
                this.put(o, "when", p, hm.get("when"), (x, q) => this.oneOf(x, q, HOOK_WHEN));
                this.put(o, "runOn", p, hm.get("run_on"), (x, q) => this.oneOf(x, q, HOOK_RUN_ON));
                this.put(o, "timeout", p, hm.get("timeout"), (x, q) => this.num(x, q));
                this.put(o, "env", p, hm.get("env"), (x, q) => this.strMap(x, q));
                this.put(o, "holds", p, hm.get("holds"), (x, q) => this.strList(x, q));
                value = o;
            }
            if (value !== undefined) {
                out.postAppBoot = value;
                this.record(p, hook.origin, hook.ypath);
            }
        }
        return out;
    }

    /**
     * boot_after and primary_role name roles. The schema checks this too, but
     * only once everything else is valid: check here so it is reported with the rest.
     */
    private checkRoleNames(args: Record<string, unknown>, roles: Record<string, unknown>): void {
        const names = Object.keys(roles);
        for (const name of names) {
            const after = (roles[name] as Record<string, unknown>).bootAfter as string[] | undefined;
            (after ?? []).forEach((dep, i) => {
                const at = this.origins.get(JSON.stringify(["roles", name, "bootAfter", i]));
                if (!names.includes(dep)) {
                    this.fail(at?.origin, at?.ypath ?? [], `unknown role "${dep}"; roles are: ${names.join(", ")}`, ["roles", name, "bootAfter", i]);
                } else if (dep === name) {
                    this.fail(at?.origin, at?.ypath ?? [], "a role cannot boot after itself", ["roles", name, "bootAfter", i]);
                }
            });
        }
        const primary = args.primaryRole;
        if (typeof primary === "string" && primary !== "web" && !names.includes(primary)) {
            const at = this.origins.get(JSON.stringify(["primaryRole"]));
            this.fail(at?.origin, at?.ypath ?? ["primary_role"], `"${primary}" is not a role; roles are: ${names.join(", ")}`, ["primaryRole"]);
        }
    }

    /** Kamal: SSL (Let's Encrypt) needs a host name, and a proxied role with SSL runs on one host. */
    private checkSsl(args: Record<string, unknown>, roles: Record<string, unknown>): void {
        const names = Object.keys(roles);
        const primary = typeof args.primaryRole === "string" && roles[args.primaryRole] ? args.primaryRole : names[0];
        const rootProxy = args.proxy as Record<string, unknown> | undefined;
        if (rootProxy?.ssl === true && !rootProxy.host && !rootProxy.hosts) {
            this.sslError(["proxy"], "ssl: true needs proxy.host or proxy.hosts: Let's Encrypt certifies named hosts");
        }
        const sslHosts: Record<string, string[]> = {};
        for (const name of names) {
            const role = roles[name] as Record<string, unknown>;
            const proxied = role.proxy === undefined ? name === primary : role.proxy !== false;
            const hook = (role.hooks as Record<string, unknown> | undefined)?.postAppBoot;
            if (!proxied && isPlainObject(hook) && hook.when === "paused") {
                // The schema checks this too, but only once everything else is valid.
                const whenPath = ["roles", name, "hooks", "postAppBoot", "when"];
                const at = this.origins.get(JSON.stringify(whenPath));
                this.fail(
                    at?.origin,
                    at?.ypath ?? [],
                    `"paused" holds kamal-proxy traffic, but role "${name}" is not behind kamal-proxy; use "before-traffic" or set proxy: true on the role`,
                    whenPath,
                );
            }
            if (!proxied) continue;
            const p = (isPlainObject(role.proxy) ? role.proxy : rootProxy) as Record<string, unknown> | undefined;
            if (p?.ssl !== true) continue;
            const base: Path = isPlainObject(role.proxy) ? ["roles", name, "proxy"] : ["proxy"];
            if (!p.host && !p.hosts) this.sslError(base, "ssl: true needs proxy.host or proxy.hosts: Let's Encrypt certifies named hosts");
            for (const h of (p.hosts as string[] | undefined) ?? (p.host ? [p.host as string] : [])) {
                (sslHosts[h] ??= []).push(name);
            }
            const hosts = role.hosts as unknown[];
            if (hosts.length > 1) {
                const at = this.origins.get(JSON.stringify(["roles", name]));
                this.fail(at?.origin, at?.ypath ?? ["servers", name], `ssl: true (Let's Encrypt) works with one host per role; role ${name} has ${hosts.length}: terminate TLS in front of the hosts and set ssl: false`);
            }
        }
        this.sslSharedHosts(sslHosts);
    }

    private sslSharedHosts(sslHosts: Record<string, string[]>): void {
        for (const [host, roleNames] of Object.entries(sslHosts)) {
            if (roleNames.length < 2) continue;
            const at = this.origins.get(JSON.stringify(["roles", roleNames[1]]));
            const list = `${roleNames.slice(0, -1).join(", ")} and ${roleNames[roleNames.length - 1]}`;
            this.fail(at?.origin, at?.ypath ?? ["servers", roleNames[1]], `roles ${list} ${roleNames.length > 2 ? "all" : "both"} serve ${host} with ssl: true; give each role its own proxy host`);
        }
    }

    private sslError(proxyPath: Path, message: string): void {
        const at = this.origins.get(JSON.stringify([...proxyPath, "ssl"]));
        this.fail(at?.origin, at?.ypath ?? [...proxyPath, "ssl"], message, [...proxyPath, "ssl"]);
    }

    /** Kamal's local hooks (.kamal/hooks/*) do not run here: say so rather than skip them silently. */
    private localHooks(display: (f: string) => string): void {
        const dir = path.join(this.root, ".kamal", "hooks");
        let names: string[] = [];
        try {
            names = fs.readdirSync(dir).filter((n) => !n.endsWith(".sample") && !n.startsWith("."));
        } catch {
            return;
        }
        for (const n of names.sort()) {
            this.warnAt(
                undefined,
                [],
                `${display(path.join(dir, n))}: Kamal's local hooks are not run; use a role's hooks.post-app-boot to run a command in the new container`,
            );
        }
    }

    // ---- zod -------------------------------------------------------------

    validate(args: Record<string, unknown>): void {
        const result = appSchema.safeParse(args, { reportInput: true });
        if (result.success) return;
        for (const issue of result.error.issues) {
            const issuePath = issue.path.map((k) => (typeof k === "symbol" ? String(k) : k)) as Path;
            if (issuePath.length > 0 && this.errored.some((p) => startsWith(p, issuePath) || startsWith(issuePath, p))) continue;
            const { origin, ypath } = this.locate(issuePath);
            const got = "input" in issue && issue.code !== "unrecognized_keys" && issue.code !== "custom" ? ` (got ${describe(issue.input)})` : "";
            this.problems.push({ origin, path: formatPath(ypath), message: `${issueMessage(issue)}${got}` });
        }
    }

    private locate(argPath: Path): { origin?: Origin; ypath: Path } {
        for (let n = argPath.length; n >= 0; n--) {
            const rec = this.origins.get(JSON.stringify(argPath.slice(0, n)));
            if (rec) return { origin: rec.origin, ypath: [...rec.ypath, ...argPath.slice(n).map(toYamlKey)] };
        }
        return { ypath: argPath.map(toYamlKey) };
    }
}

function issueMessage(issue: z.core.$ZodIssue): string {
    if (issue.code === "unrecognized_keys") return `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
    // A record key that fails its own schema: its message says what keys may be.
    if (issue.code === "invalid_key" && issue.issues.length > 0) return issue.issues.map((i) => i.message).join("; ");
    return yamlWords(issue.message);
}

/** The schema's messages name fields in camelCase (`deployTimeout`): say the deploy.yml key (`deploy_timeout`). */
export function yamlWords(message: string): string {
    return message.replace(/\b[a-z]+(?:[A-Z][a-z0-9]*)+\b/g, (word) => String(toYamlKey(word)));
}

function lines(problems: Problem[], fileOrder: string[]): string[] {
    const rank = (p: Problem) => {
        if (!p.origin) return [fileOrder.length + 1, 0];
        const i = fileOrder.indexOf(p.origin.file);
        return [i < 0 ? fileOrder.length : i, p.origin.line];
    };
    const sorted = fileOrder.length > 0
        ? [...problems].sort((a, b) => {
              const [fa, la] = rank(a);
              const [fb, lb] = rank(b);
              return fa - fb || la - lb;
          })
        : problems;
    const out: string[] = [];
    for (const p of sorted) {
        const where = p.origin ? `${p.origin.file}:${p.origin.line}: ` : "";
        const text = `${where}${p.path ? `${p.path}: ` : ""}${p.message}`;
        if (!out.includes(text)) out.push(text);
    }
    return out;
}

function startsWith(p: Path, prefix: Path): boolean {
    return prefix.length <= p.length && prefix.every((k, i) => p[i] === k);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v) && !pulumi.Output.isInstance(v);
}

const YAML_KEYS: Record<string, string> = { roles: "servers", postAppBoot: "post-app-boot", keyPath: "keys", privateKey: "key_data", proxyPorts: "proxy.run", proxyImage: "proxy.run" };

function toYamlKey(k: string | number): string | number {
    if (typeof k === "number") return k;
    return YAML_KEYS[k] ?? k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}


/** A short JSON rendering of a value for messages; Pulumi values (secrets) are never shown. */
function describe(value: unknown): string {
    if (value === undefined || value === null) return "nothing";
    const hide = (v: unknown): unknown =>
        pulumi.Output.isInstance(v) || (typeof v === "object" && v !== null && typeof (v as { then?: unknown }).then === "function")
            ? "[secret]"
            : Array.isArray(v)
              ? v.map(hide)
              : typeof v === "object" && v !== null
                ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, hide(x)]))
                : v;
    let text: string | undefined;
    try {
        text = JSON.stringify(hide(value));
    } catch {
        text = undefined;
    }
    if (text === undefined) return String(value);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** `; did you mean "X"?` when a valid value is close to the given one, else nothing. */
export function didYouMean(word: string, candidates: readonly string[]): string {
    const best = closest(word, candidates);
    return best === undefined ? "" : `; did you mean "${best}"?`;
}

/**
 * The valid key closest to a misspelt one (Levenshtein distance), if close
 * enough to be a typo: at most a third of the word's letters (at least 1)
 * differ. `everywhere` is nothing like `primary`: no suggestion then.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
    let best: string | undefined;
    let bestDistance = Math.max(1, Math.round(word.length / 3)) + 1;
    for (const c of candidates) {
        const d = levenshtein(word.toLowerCase(), c);
        if (d < bestDistance) {
            best = c;
            bestDistance = d;
        }
    }
    return best;
}

function levenshtein(a: string, b: string): number {
    let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const cur = [i];
        for (let j = 1; j <= b.length; j++) {
            cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        }
        prev = cur;
    }
    return prev[b.length];
}
