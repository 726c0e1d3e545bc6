/**
 * Kamal's `config/deploy.yml` (plus `config/deploy.DEST.yml` and the
 * `.kamal/secrets*` files) turned into validated KamalApp arguments.
 *
 * This file only reads the files (ERB, YAML with line numbers, secrets),
 * hands each root key to its section (config/sections/), and runs the one
 * schema (config/schema.ts) over the result. Everything is checked before any
 * host is touched, and every problem is reported at once, each as
 * `file:line: key.path: what is wrong`.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { renderErb } from "./erb";
import { projectRoot } from "./project";
import { appSchema } from "./schema";
import { readBoot } from "./sections/boot";
import { readLabels, readLogging } from "./sections/container";
import { readEnv } from "./sections/env";
import { readProxy } from "./sections/proxy";
import { Field, KeySpec, Path, Reader } from "./sections/reader";
import { readRegistry } from "./sections/registry";
import { ASSET_PATH, readRoles } from "./sections/roles";
import { readImage, readRequireDestination } from "./sections/service";
import { readSsh } from "./sections/ssh";
import type { KamalAppArgs as KamalAppInput } from "./types";
import { Env, SecretStore } from "./secrets";
import { KamalConfigError } from "./validate";
import { deepMerge, MapNode, parseYamlTree, TreeNode } from "./yaml-tree";

export { closest, didYouMean } from "./suggest";
export { yamlWords } from "./yaml-keys";

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
        asset_path: ASSET_PATH,
        hooks_path: "ignored; Kamal's local hooks are not run: use a role's hooks.post-app-boot to run a command in the new container",
        hooks_output: "ignored; Kamal's local hooks are not run",
        minimum_version: "ignored; it names a Kamal version, which pulumi-kamal does not check",
        run_directory: "ignored; pulumi-kamal keeps its files on the hosts under .kamal in the SSH user's home",
        sshkit: "ignored; pulumi-kamal manages its own SSH connections",
        output: "ignored; deploy output goes to Pulumi's log",
    },
    extensions: true,
};

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

    const loader = new Reader(root, cwd, env, options.secrets, destination);
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
        args = readApp(loader, tree, display);
    }
    if (args) loader.validate(appSchema, args);
    if (loader.hasProblems()) throw new KamalConfigError(where, loader.report([...files.map(display), ...loader.secretFiles()]));
    return { args: args as unknown as KamalAppInput, warnings: loader.warningLines(files.map(display)), ...(destination !== undefined ? { destination } : {}) };
}

/** The root map: each key to its section. */
function readApp(r: Reader, tree: MapNode, display: (f: string) => string): Record<string, unknown> {
    const rootField: Field = { node: tree, origin: tree.origin, ypath: [] };
    r.record([], tree.origin, []);
    const top = r.map(rootField, ROOT)!;
    const args: Record<string, unknown> = {};

    // secrets_path first: env, registry and ssh read secrets.
    const secretsPath = top.get("secrets_path");
    let secretsPathValue: string | undefined;
    if (secretsPath) secretsPathValue = r.str(secretsPath);
    r.secrets = new SecretStore({
        root: r.root,
        cwd: r.cwd,
        secretsPath: secretsPathValue,
        destination: r.destination,
        env: r.env,
        provided: r.provided,
    });

    const required = (key: string, argKey: string) => {
        if (!top.has(key)) r.fail(tree.origin, [key], "is required", [argKey]);
    };
    required("service", "service");
    required("image", "image");

    r.put(args, "service", [], top.get("service"), (f, p) => r.str(f, p));

    const registry = top.get("registry") ? readRegistry(r, top.get("registry")!) : undefined;
    if (registry) {
        args.registry = registry.args;
        r.record(["registry"], top.get("registry")!.origin, ["registry"]);
    }
    const image = top.get("image");
    if (image) readImage(r, args, image, registry?.server);

    const destination = r.destination;
    if (destination !== undefined) {
        args.destination = destination;
        r.record(["destination"], undefined, ["destination option"]);
    }

    const require = top.get("require_destination");
    if (require) readRequireDestination(r, require);

    r.put(args, "primaryRole", [], top.get("primary_role"), (f, p) => r.str(f, p));
    for (const [yamlKey, argKey] of [
        ["readiness_delay", "readinessDelay"],
        ["deploy_timeout", "deployTimeout"],
        ["drain_timeout", "drainTimeout"],
    ] as const) {
        r.put(args, argKey, [], top.get(yamlKey), (f, p) => r.num(f, p));
    }
    r.put(args, "retainContainers", [], top.get("retain_containers"), (f, p) => r.int(f, p));
    r.put(args, "labels", [], top.get("labels"), (f, p) => readLabels(r, f, p));
    r.put(args, "volumes", [], top.get("volumes"), (f, p) => r.strList(f, p));
    r.put(args, "logging", [], top.get("logging"), (f, p) => readLogging(r, f, p));
    r.put(args, "errorPagesPath", [], top.get("error_pages_path"), (f, p) => readErrorPagesPath(r, f, p));

    const envField = top.get("env");
    if (envField) r.put(args, "env", [], envField, (f, p) => readEnv(r, f, p, true));

    const ssh = top.get("ssh");
    if (ssh) r.put(args, "ssh", [], ssh, (f, p) => readSsh(r, f, p));

    const boot = top.get("boot");
    if (boot) r.put(args, "boot", [], boot, (f, p) => readBoot(r, f, p));

    let rootProxy: Record<string, unknown> | undefined;
    const proxy = top.get("proxy");
    if (proxy) {
        rootProxy = readProxy(r, proxy, ["proxy"], args);
        if (rootProxy) {
            args.proxy = rootProxy;
            r.record(["proxy"], proxy.origin, proxy.ypath);
        }
    }

    // servers (or roles, our other name for it)
    const servers = top.get("servers");
    const rolesAlias = top.get("roles");
    if (servers && rolesAlias) {
        r.fail(rolesAlias.origin, rolesAlias.ypath, "servers and roles are the same setting (roles is another name for servers): keep one", ["roles"]);
    }
    const serversField = servers ?? rolesAlias;
    if (!serversField) {
        r.fail(tree.origin, ["servers"], "is required: list the hosts, or map role names to their hosts", ["roles"]);
    } else {
        const stopTimeout = top.get("stop_timeout");
        const defaultStop = stopTimeout ? r.num(stopTimeout) : undefined;
        const allowEmpty = top.get("allow_empty_roles");
        const roles = readRoles(r, serversField, {
            rootProxy,
            stopTimeout: defaultStop !== undefined ? { value: defaultStop, field: stopTimeout! } : undefined,
            allowEmpty: allowEmpty ? r.bool(allowEmpty) === true : false,
            primary: typeof args.primaryRole === "string" ? args.primaryRole : "web",
        });
        if (roles) {
            args.roles = roles;
            r.record(["roles"], serversField.origin, serversField.ypath);
        }
    }

    localHooks(r, display);
    if (r.secrets) {
        for (const p of r.secrets.problems) r.fail({ file: p.file, line: p.line }, [], p.message);
    }
    return args;
}

/** Kamal's error_pages_path, read relative to the project root (where Kamal runs). */
function readErrorPagesPath(r: Reader, f: Field, p: Path): string | undefined {
    const dir = r.str(f, p);
    if (dir === undefined) return undefined;
    const abs = path.resolve(r.root, dir);
    if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory()) {
        r.fail(f.origin, f.ypath, `${abs} is not a directory: point it at your 4xx/5xx .html pages (e.g. public)`, p);
        return undefined;
    }
    return abs;
}

/** Kamal's local hooks (.kamal/hooks/*) do not run here: say so rather than skip them silently. */
function localHooks(r: Reader, display: (f: string) => string): void {
    const dir = path.join(r.root, ".kamal", "hooks");
    let names: string[] = [];
    try {
        names = fs.readdirSync(dir).filter((n) => !n.endsWith(".sample") && !n.startsWith("."));
    } catch {
        return;
    }
    for (const n of names.sort()) {
        r.warnAt(
            undefined,
            [],
            `${display(path.join(dir, n))}: Kamal's local hooks are not run; use a role's hooks.post-app-boot to run a command in the new container`,
        );
    }
}
