/**
 * The shell commands Kamal 2.12 runs on a host for a given deploy.yml, as its
 * command classes build them (lib/kamal/commands/app.rb and app/*.rb,
 * proxy.rb, prune.rb, auditor.rb; cli/app.rb, cli/main.rb for the order).
 * No Kamal runs here (its gems are not installable offline), so the
 * compatibility tests run these lines over SSH instead. Each function names
 * the Kamal command it stands for.
 */

export interface KamalConfig {
    service: string;
    destination?: string;
    /** `registry.server/image`: Kamal's repository. */
    repository: string;
    /** Kamal's `env.clear` (the secrets are in the role's env file). */
    clearEnv: Record<string, string>;
    deployTimeout: number;
    drainTimeout: number;
    appPort: number;
}

/** Kamal::Utils.escape_shell_value for plain ASCII values: Ruby's String#dump, `$` and backticks escaped. */
const q = (v: string) => `"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/`/g, "\\`").replace(/\$(?!\{[^}]*\})/g, "\\$")}"`;
/** Kamal's `shell`: a single-quoted `sh -c`. */
const shell = (command: string) => `sh -c '${command.replace(/'/g, "'\\''")}'`;

export class KamalCommands {
    constructor(readonly c: KamalConfig) {}

    prefix(role: string): string {
        return [this.c.service, role, this.c.destination].filter(Boolean).join("-");
    }
    containerName(role: string, version: string): string {
        return `${this.prefix(role)}-${version}`;
    }
    get latestTag(): string {
        return ["latest", this.c.destination].filter(Boolean).join("-");
    }
    get latestImage(): string {
        return `${this.c.repository}:${this.latestTag}`;
    }
    envFile(role: string): string {
        return `.kamal/apps/${[this.c.service, this.c.destination].filter(Boolean).join("-")}/env/roles/${role}.env`;
    }
    private filters(role?: string, statuses: string[] = []): string {
        return [`label=service=${this.c.service}`, `label=destination=${this.c.destination ?? ""}`, ...(role ? [`label=role=${role}`] : []), ...statuses.map((s) => `status=${s}`)]
            .map((f) => `--filter ${f}`).join(" ");
    }

    /** App#container_id_for_version. */
    containerIdForVersion(role: string, version: string): string {
        return `docker container ls --all --filter 'name=^${this.containerName(role, version)}$' --quiet`;
    }

    /** App#current_running_container (latest image's container first, else the latest running one). */
    private currentRunningContainer(role: string, format: string): string {
        const latest = (extra: string) => `docker ps --latest ${format} ${this.filters(role, ["running", "restarting"])}${extra}`;
        const imageId = `docker image ls --filter reference=${this.latestImage} --format '{{.ID}}'`;
        return `${shell(`${latest(` --filter ancestor=$(${imageId})`)} ; ${latest("")}`)} | head -1`;
    }

    /** `kamal app version`: App#current_running_version. */
    currentRunningVersion(role: string): string {
        return `${this.currentRunningContainer(role, "--format '{{.Names}}'")} | while read line; do echo \${line#${this.prefix(role)}-}; done`;
    }

    /** App#list_versions: the versions of the role's running containers (`kamal app stale_containers` drops the current one). */
    listVersions(role: string): string {
        return `docker ps ${this.filters(role)} --format "{{.Names}}" | while read line; do echo \${line#${this.prefix(role)}-}; done`;
    }

    /** `kamal app logs` (100 lines by default). */
    logs(role: string, lines = 100): string {
        return `${this.currentRunningContainer(role, "--quiet")} | xargs docker logs --timestamps --tail ${lines} 2>&1`;
    }

    private envArgs(role: string): string {
        return [...Object.entries(this.c.clearEnv).map(([k, v]) => `--env ${k}=${q(v)}`), `--env-file ${this.envFile(role)}`].join(" ");
    }

    /** `kamal app exec CMD` (`-i` adds -i: stdin is no terminal here), in a new container of REPO:latest. */
    execInNewContainer(role: string, command: string, opts: { interactive?: boolean; hex: string }): string {
        const name = [this.prefix(role), "exec", this.latestTag, opts.hex].join("-");
        return ["docker run", ...(opts.interactive ? ["-i"] : []), "--rm", `--name ${name}`, "--network kamal", this.envArgs(role),
            `--log-opt max-size=${q("10m")}`, this.latestImage, command].join(" ");
    }

    /** `kamal app exec --reuse CMD`. */
    execInExistingContainer(role: string, version: string, command: string): string {
        return `docker exec ${this.containerName(role, version)} ${command}`;
    }

    /** Cli::App::Boot#old_version_renamed_if_clashing's rename. */
    renameContainer(role: string, version: string, hex: string): string {
        return `docker rename ${this.containerName(role, version)} ${this.containerName(role, `${version}_replaced_${hex}`)}`;
    }

    /** App#ensure_env_directory. */
    ensureEnvDirectory(): string {
        return `mkdir -p ${this.envFile("x").replace(/\/x\.env$/, "")}`;
    }

    /** App#run. */
    run(role: string, version: string, host: string, hostname: string): string {
        const name = this.containerName(role, version);
        return ["docker run --detach --restart unless-stopped", `--name ${name}`, "--network kamal", `--hostname ${hostname}`,
            `--env KAMAL_CONTAINER_NAME="${name}"`, `--env KAMAL_VERSION="${version}"`, `--env KAMAL_HOST="${host}"`,
            ...(this.c.destination ? [`--env KAMAL_DESTINATION="${this.c.destination}"`] : []),
            this.envArgs(role), `--log-opt max-size=${q("10m")}`,
            `--label service=${q(this.c.service)}`, `--label role=${q(role)}`, this.c.destination ? `--label destination=${q(this.c.destination)}` : "--label destination",
            `${this.c.repository}:${version}`].join(" ");
    }

    /** App#deploy: kamal-proxy deploy with Kamal's default options. */
    proxyDeploy(role: string, target: string): string {
        return [`docker exec kamal-proxy kamal-proxy deploy ${this.prefix(role)}`, `--target=${q(`${target}:${this.c.appPort}`)}`,
            `--deploy-timeout=${q(`${this.c.deployTimeout}s`)}`, `--drain-timeout=${q(`${this.c.drainTimeout}s`)}`,
            "--buffer-requests --buffer-responses",
            ...["Cache-Control", "Last-Modified", "User-Agent"].map((h) => `--log-request-header=${q(h)}`)].join(" ");
    }

    /** App#status: the non-proxied roles' health poll. */
    status(role: string, version: string): string {
        return `${this.containerIdForVersion(role, version)} | xargs docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}'`;
    }

    /** App#stop(version:): proxied roles without -t, others with drain_timeout. */
    stop(role: string, version: string, proxied: boolean): string {
        return `${this.containerIdForVersion(role, version)} | xargs docker stop${proxied ? "" : ` -t ${this.c.drainTimeout}`}`;
    }

    /** App#tag_latest_image (config.absolute_image is REPO:VERSION). */
    tagLatest(version: string): string {
        return `docker tag ${this.c.repository}:${version} ${this.latestImage}`;
    }

    /** `kamal proxy boot` on one host: network, version check, apps-config, start or run. */
    proxyBoot(): string[] {
        const read = (file: string, dflt: string) => `$(cat .kamal/proxy/${file} 2> /dev/null || echo "${dflt}")`;
        const bootConfig = `echo ${read("options", "--publish 80:80 --publish 443:443 --log-opt max-size=10m")} ${read("image", "basecamp/kamal-proxy")}:${read("image_version", "v0.9.2")} ${read("run_command", "")}`;
        return [
            "docker network create kamal",
            "docker inspect kamal-proxy --format '{{.Config.Image}}' | awk -F: '{print $NF}'",
            "mkdir -p .kamal/proxy/apps-config",
            `docker container start kamal-proxy || ${bootConfig} | xargs docker run --name kamal-proxy --network kamal --detach --restart unless-stopped --volume kamal-proxy-config:/home/kamal-proxy/.config/kamal-proxy --volume $PWD/.kamal/proxy/apps-config:/home/kamal-proxy/.apps-config`,
        ];
    }

    /** `kamal prune containers` (retain 5 by default). */
    pruneContainers(retain = 5): string {
        return `docker ps -q -a --filter label=service=${this.c.service} --filter status=created --filter status=exited --filter status=dead | tail -n +${retain + 1} | while read container_id; do docker rm $container_id; done`;
    }

    /** `kamal prune images`. */
    pruneImages(): string[] {
        const active = `$(docker container ls -a --format '{{.Image}}\\|' --filter label=service=${this.c.service} | tr -d '\\n')${this.latestImage}\\|${this.c.repository}:<none>`;
        return [
            `docker image prune --force --filter label=service=${this.c.service}`,
            `docker image ls --filter label=service=${this.c.service} --format '{{.ID}} {{.Repository}}:{{.Tag}}' | grep -v -w "${active}" | while read image tag; do docker rmi $tag; done`,
        ];
    }

    get auditLog(): string {
        return `.kamal/${[this.c.service, this.c.destination, "audit.log"].filter(Boolean).join("-")}`;
    }

    /** Auditor#record. */
    auditRecord(line: string, performer: string, role?: string): string {
        const tags = [new Date().toISOString().replace(/\.\d{3}Z$/, "Z"), performer, this.c.destination, role].filter(Boolean).map((t) => `[${t}]`).join(" ");
        return `mkdir -p .kamal && echo ${q(`${tags} ${line}`)} >> ${this.auditLog}`;
    }

    /** `kamal audit`: Auditor#reveal. */
    auditReveal(): string {
        return `tail -n 50 ${this.auditLog}`;
    }
}
