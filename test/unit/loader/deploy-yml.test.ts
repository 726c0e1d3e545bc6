/** loadDeployConfig: Kamal's config/deploy.yml (+ destination file, secrets files, ERB) into KamalApp args. */
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { loadDeployConfig } from "../../../config/deploy-yml";
import { appSchema } from "../../../config/schema";
import { fixture, load, problemLines, rejection, reveal, secret, testEnv } from "./helpers";

describe("loadDeployConfig", () => {
    describe("supported keys", () => {
        it("reads a minimal deploy.yml: a host list is the role web", () => {
            const loaded = load("minimal");
            assert.deepEqual(loaded, {
                args: { service: "hello", image: "nginxdemos/hello:0.4", roles: { web: { hosts: ["192.0.2.10"] } } },
                warnings: [],
            });
            assert.equal(appSchema.safeParse(loaded.args).success, true);
        });

        it("maps every key pulumi-kamal implements", async () => {
            const env = testEnv({ GITHUB_USER: "octocat", GITHUB_TOKEN: "ghp_test", VERSION: "abc123" });
            const loaded = load("full", { env });
            assert.deepEqual(loaded.warnings, []);
            assert.equal(appSchema.safeParse(loaded.args).success, true);
            const rootProxy = {
                hosts: ["shop.example"],
                appPort: 3000,
                ssl: true,
                sslRedirect: false,
                forwardHeaders: true,
                responseTimeout: 45,
                stripPathPrefix: false,
                pathPrefix: "/shop",
                healthcheck: { path: "/up", interval: 2, timeout: 3 },
                buffering: { requests: true, responses: false, maxRequestBody: 40_000_000, maxResponseBody: 0, memory: 2_000_000 },
            };
            const { hosts: _inheritedHosts, ...inherited } = rootProxy;
            assert.deepEqual(await reveal(loaded.args), {
                service: "shop",
                // registry.server/image, tagged with VERSION (Kamal's version source after --version).
                image: "ghcr.io/acme/shop:abc123",
                registry: { server: "ghcr.io", username: secret("octocat"), password: secret("ghp_test") },
                primaryRole: "web",
                readinessDelay: 4,
                deployTimeout: 60,
                drainTimeout: 15,
                retainContainers: 3,
                labels: { team: "payments" },
                volumes: ["/data/shop:/rails/storage"],
                logging: { driver: "json-file", options: { "max-size": "100m", "max-file": "3" } },
                env: {
                    clear: { RAILS_ENV: "production", RAILS_LOG_TO_STDOUT: "true" },
                    secret: { RAILS_MASTER_KEY: secret("0123456789abcdef0123456789abcdef"), DATABASE_PASSWORD: secret("p@ss$word") },
                    tags: {
                        canary: { clear: { FEATURE_FLAGS: "all" } },
                        batch: { clear: { QUEUE: "low" }, secret: { BATCH_TOKEN: secret("batch-token") } },
                    },
                },
                ssh: {
                    user: "deploy",
                    port: 2222,
                    proxy: "root@bastion.example.com",
                    keyPath: "/keys/deploy_ed25519",
                    privateKey: secret("test key line 1\ntest key line 2"),
                    verifyHostKey: true,
                    knownHosts: "/keys/known_hosts",
                    hostKeys: { "10.0.0.1": "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8" },
                },
                boot: { limit: "25%", wait: 5 },
                proxyPorts: { http: 8080, https: 8443 },
                proxyImage: "registry.example.com/mirror/kamal-proxy:v0.9.2",
                proxy: rootProxy,
                roles: {
                    web: {
                        hosts: [{ host: "10.0.0.1", tags: ["canary"] }],
                        env: { clear: { WEB_CONCURRENCY: "2" }, secret: { WEB_SECRET: secret("batch-token") } },
                        labels: { tier: "frontend" },
                        logging: { options: { "max-size": "10m" } },
                        volumes: ["/var/log/shop:/rails/log"],
                        hooks: {
                            postAppBoot: {
                                command: ["bin/rails", "db:migrate"],
                                when: "before-traffic",
                                runOn: "primary",
                                timeout: 600,
                                env: { MIGRATE_VERBOSE: "1" },
                            },
                        },
                        stopTimeout: 20,
                    },
                    jobs: {
                        hosts: [{ host: "10.0.0.3", tags: ["batch", "canary"] }, "10.0.0.4"],
                        cmd: "bin/jobs",
                        options: { init: true, memory: "1g", cpus: 2, "add-host": ["db.internal:10.0.0.20"], restart: "on-failure:3" },
                        stopTimeout: 90,
                        bootAfter: ["web"],
                        hooks: { postAppBoot: "bin/jobs warm-cache" },
                    },
                    api: {
                        hosts: ["10.0.0.5"],
                        cmd: ["bin/api", "--port", "4000"],
                        // The role's proxy settings deep-merged over the root's; its host replaces the root's hosts.
                        proxy: { ...inherited, host: "api.shop.example", appPort: 4000, healthcheck: { path: "/api/up", interval: 2, timeout: 3 } },
                        stopTimeout: 20,
                    },
                    admin: { hosts: ["10.0.0.6"], stopTimeout: 20 },
                    assets: {
                        hosts: ["10.0.0.7"],
                        options: { restart: "no" },
                        proxy: { ...inherited, host: "assets.shop.example", ssl: false },
                        stopTimeout: 20,
                    },
                },
            });
        });

        it("accepts roles: as another name for servers, and proxy: true", () => {
            assert.deepEqual(load("roles-alias").args, {
                service: "app",
                image: "app:1.0",
                roles: { web: { hosts: ["192.0.2.1"] }, worker: { hosts: ["192.0.2.2"], cmd: "bin/worker", proxy: true } },
            });
        });

        it("reads YAML as Kamal's Psych does (1.1: yes/no/on/off, 1_000; but y and n are strings)", async () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pk-yaml11-"));
            try {
                fs.mkdirSync(path.join(dir, "config"));
                // An inline private key (deprecated in Kamal) is taken as the key, as a secret.
                const inlineKey = ["-----BEGIN", "OPENSSH PRIVATE KEY-----", "test"].join(" ");
                fs.writeFileSync(
                    path.join(dir, "config", "deploy.yml"),
                    [
                        "service: app",
                        "image: app:1",
                        "servers:",
                        "  - y",
                        "proxy:",
                        "  ssl_redirect: no",
                        "  forward_headers: on",
                        "  buffering:",
                        "    max_request_body: 1_000",
                        "ssh:",
                        `  key_data: ["${inlineKey}"]`,
                    ].join("\n"),
                );
                const loaded = loadDeployConfig({ cwd: dir, env: testEnv() });
                assert.deepEqual(await reveal(loaded.args), {
                    service: "app",
                    image: "app:1",
                    proxy: { sslRedirect: false, forwardHeaders: true, buffering: { maxRequestBody: 1000 } },
                    ssh: { privateKey: secret(inlineKey) },
                    roles: { web: { hosts: ["y"] } },
                });
                assert.deepEqual(loaded.warnings, [
                    "config/deploy.yml:11: ssh.key_data[0]: an inline private key is deprecated in Kamal: put it in .kamal/secrets and list its name here",
                ]);
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });

        it("reads the file given, relative to cwd, and names it in errors as given", () => {
            const absolute = path.join(fixture("broken-servers-and-roles"), "config", "deploy.yml");
            assert.equal(
                // A cwd that is no ancestor of the fixture (the checkout itself may live under the tmp dir).
                rejection("minimal", { file: absolute, cwd: fs.mkdtempSync(path.join(os.tmpdir(), "cwd-")) }),
                `Invalid ${absolute}:\n  - ${absolute}:5: roles: servers and roles are the same setting (roles is another name for servers): keep one`,
            );
            const loaded = loadDeployConfig({ cwd: fixture("minimal"), file: "config/deploy.yml", env: testEnv() });
            assert.equal(loaded.args.service, "hello");
        });
    });

    describe("keys we do not implement", () => {
        it("names each one and what happens instead; x- keys are silent", () => {
            const loaded = load("warnings");
            assert.deepEqual(loaded.warnings, [
                "config/deploy.yml:8: servers.web.asset_path: ignored; assets are not bridged between versions, so requests for the previous version's assets may 404 during a deploy",
                "config/deploy.yml:9: servers.jobs: has no hosts; skipped (allow_empty_roles)",
                "config/deploy.yml:12: builder: ignored; build and push your image yourself (docker build, @pulumi/docker-build) and pass image",
                "config/deploy.yml:14: accessories: ignored; accessories are not deployed: run databases and other services as their own resources",
                "config/deploy.yml:18: aliases: ignored; pulumi-kamal has no command aliases",
                "config/deploy.yml:20: asset_path: ignored; assets are not bridged between versions, so requests for the previous version's assets may 404 during a deploy",
                "config/deploy.yml:21: hooks_path: ignored; Kamal's local hooks are not run: use a role's hooks.post-app-boot to run a command in the new container",
                "config/deploy.yml:22: hooks_output: ignored; Kamal's local hooks are not run",
                "config/deploy.yml:24: minimum_version: ignored; it names a Kamal version, which pulumi-kamal does not check",
                "config/deploy.yml:25: run_directory: ignored; pulumi-kamal keeps its files on the hosts under .kamal in the SSH user's home",
                "config/deploy.yml:26: sshkit: ignored; pulumi-kamal manages its own SSH connections",
                "config/deploy.yml:28: output: ignored; deploy output goes to Pulumi's log",
                "config/deploy.yml:32: ssh.proxy_command: ignored; use ssh.proxy (a jump host, [user@]host) instead",
                "config/deploy.yml:33: ssh.log_level: ignored; SSH sessions are not logged",
                "config/deploy.yml:34: ssh.keys_only: ignored; the key from ssh.keys or ssh.key_data is used when set",
                "config/deploy.yml:35: ssh.config: ignored; OpenSSH config files are not read: set ssh.user, ssh.port, ssh.proxy and ssh.keys here",
                "config/deploy.yml:36: ssh.forward_agent: ignored; the SSH agent is never forwarded to the hosts",
                "config/deploy.yml:37: ssh.keys: only the first key (~/.ssh/one) is used",
                "config/deploy.yml:44: proxy.run.metrics_port: ignored; kamal-proxy runs without a metrics port",
                "config/deploy.yml:45: proxy.run.debug: ignored; kamal-proxy runs without debug logging",
                "config/deploy.yml:46: proxy.run.log_max_size: ignored; kamal-proxy's log uses Docker's default size",
                "config/deploy.yml:47: proxy.run.publish: ignored; kamal-proxy always publishes its HTTP and HTTPS ports",
                "config/deploy.yml:48: proxy.run.bind_ips: ignored; kamal-proxy's ports are published on all addresses",
                "config/deploy.yml:49: proxy.run.options: ignored; kamal-proxy runs with pulumi-kamal's docker run options",
                "config/deploy.yml:52: boot.parallel_roles: ignored; roles boot in boot_after order (by default every other role after the primary role is healthy, as Kamal's barrier does)",
                'config/deploy.yml:55: ERB <%= ENV["PK_TEST_UNSET"] %>: PK_TEST_UNSET is not set; it renders as an empty string (as in Kamal)',
                ".kamal/hooks/post-deploy: Kamal's local hooks are not run; use a role's hooks.post-app-boot to run a command in the new container",
            ]);
            assert.deepEqual(loaded.args, {
                service: "legacy",
                image: "legacy/app:2.0",
                env: { clear: { REGION: "" } },
                ssh: { keyPath: path.join(os.homedir(), ".ssh/one") },
                boot: {},
                proxy: { logging: { requestHeaders: ["Cache-Control"] } },
                errorPagesPath: path.join(fixture("warnings"), "public"),
                roles: { web: { hosts: ["192.0.2.1"] } },
            });
        });

        it("warns when the image has no tag and VERSION is not set", () => {
            const loaded = loadDeployConfig({ cwd: fixture("full"), env: testEnv({ GITHUB_USER: "u", GITHUB_TOKEN: "t" }) });
            assert.equal(loaded.args.image, "ghcr.io/acme/shop");
            assert.deepEqual(loaded.warnings, [
                `config/deploy.yml:3: image: "ghcr.io/acme/shop" has no tag; Kamal would deploy the git commit's tag, pulumi-kamal deploys the image as written (Docker pulls :latest): put the tag in image, set VERSION, or pass image from your build`,
            ]);
        });
    });

    describe("destinations", () => {
        it("without a destination: the base file and .kamal/secrets-common then .kamal/secrets", async () => {
            const loaded = load("destinations");
            assert.equal(loaded.destination, undefined);
            assert.deepEqual(await reveal(loaded.args), {
                service: "shop",
                image: "acme/shop:1.0",
                volumes: ["/data/a:/a", "/data/b:/b"],
                env: {
                    clear: { RAILS_ENV: "production", REGION: "eu" },
                    secret: { RAILS_MASTER_KEY: secret("production-master-key"), SHARED_TOKEN: secret("shared-from-common") },
                },
                proxy: { host: "shop.example", appPort: 3000, healthcheck: { path: "/up", interval: 2 } },
                roles: {
                    web: { hosts: ["10.0.0.1", "10.0.0.2"], cmd: "bin/web", labels: { tier: "frontend" } },
                    jobs: { hosts: ["10.0.0.3"], cmd: "bin/jobs" },
                },
            });
        });

        it("merges config/deploy.DEST.yml over the base as Kamal's deep_merge: maps merge, lists replace", async () => {
            const loaded = load("destinations", { destination: "staging" });
            assert.equal(loaded.destination, "staging");
            assert.deepEqual(await reveal(loaded.args), {
                service: "shop",
                image: "acme/shop:1.0",
                destination: "staging",
                volumes: ["/data/staging:/a"],
                env: {
                    // KAMAL_DESTINATION is set for ERB, as Kamal sets it.
                    clear: { RAILS_ENV: "staging", REGION: "eu", DEST: "staging" },
                    // .kamal/secrets.staging replaces .kamal/secrets; .kamal/secrets-common still applies.
                    secret: { RAILS_MASTER_KEY: secret("staging-master-key"), SHARED_TOKEN: secret("shared-from-common") },
                },
                proxy: { host: "staging.shop.example", appPort: 3000, healthcheck: { path: "/up", interval: 5 } },
                roles: {
                    web: { hosts: ["10.1.0.1"], cmd: "bin/web", labels: { tier: "frontend" } },
                    jobs: { hosts: ["10.0.0.3"], cmd: "bin/jobs" },
                },
            });
        });

        it("honours require_destination", () => {
            assert.equal(
                rejection("require-destination"),
                "Invalid config/deploy.yml:\n" +
                    "  - config/deploy.yml:3: require_destination: this configuration needs a destination: pass destination (Kamal's -d DEST), which merges config/deploy.DEST.yml",
            );
            assert.deepEqual(load("require-destination", { destination: "production" }).args, {
                service: "shop",
                image: "acme/shop:1.0",
                destination: "production",
                roles: { web: { hosts: ["10.9.0.1"] } },
            });
        });

        it("rejects a destination without its file", () => {
            assert.equal(
                rejection("destinations", { destination: "qa" }),
                'Invalid config/deploy.yml (destination qa):\n  - config/deploy.qa.yml: configuration file not found for destination "qa"',
            );
        });
    });

    describe("secrets", () => {
        const env = testEnv({ PATH: `${fixture("secrets")}/bin:${process.env.PATH}`, PK_TEST_USER: "alice" });

        it("reads Kamal's dotenv format, runs $(commands) and kamal secrets, and makes every value a Pulumi secret", async () => {
            const loaded = load("secrets", { env, secrets: { GIVEN: "from-option" } });
            assert.deepEqual(await reveal(loaded.args.env), {
                secret: {
                    UNQUOTED: secret("plain value"),
                    SINGLE: secret("single $NOT_EXPANDED $(not run) \\n"),
                    DOUBLE: secret('double "quoted" with\nnewline'),
                    MULTILINE: secret("first line\nsecond line"),
                    EXPORTED: secret("exported"),
                    FROM_ENV: secret("alice"),
                    BRACED: secret("alice-suffix"),
                    COMMAND: secret("from alice"),
                    NESTED: secret("nested"),
                    ESCAPED_DOLLAR: secret("$PK_TEST_USER"),
                    ESCAPED_COMMAND: secret("$(echo not run)"),
                    SELF_REFERENCE: secret("plain value!"),
                    EMPTY: secret(""),
                    COLON_SEPARATED: secret("colon value"),
                    FROM_VAULT: secret('vault value with spaces, "quotes" & symbols'),
                    // The secrets option wins over the files.
                    GIVEN: secret("from-option"),
                    // NAME:SECRET reads the secret SECRET into NAME.
                    ALIASED: secret('vault value with spaces, "quotes" & symbols'),
                },
            });
        });

        it("wraps secrets given as options (plain or Outputs) in Pulumi secrets; no secrets file is needed", async () => {
            const loaded = load("broken-no-secrets-file", { secrets: { DB_PASSWORD: pulumi.output("from-an-output") } });
            assert.deepEqual(await reveal(loaded.args.env), { secret: { DB_PASSWORD: secret("from-an-output") } });
        });

        it("reads secrets_path-common and secrets_path", async () => {
            const loaded = load("secrets-path");
            assert.deepEqual(await reveal(loaded.args.env), {
                secret: { COMMON: secret("from-deploy-secrets-common"), MAIN: secret("from-deploy-secrets") },
            });
        });

        it("does not read the files (nor run their commands) when the option has every secret", async () => {
            const loaded = load("broken-secret-commands", { secrets: { DB_PASSWORD: "a", FROM_VAULT: "b", OK: "c" } });
            assert.deepEqual(await reveal(loaded.args.env), { secret: { DB_PASSWORD: secret("a"), FROM_VAULT: secret("b"), OK: secret("c") } });
        });
    });

    describe("ERB", () => {
        it("evaluates ENV[...], ENV.fetch(...) with and without defaults, ||, -%>, <%%, comments", async () => {
            const env = testEnv({
                PK_SERVICE: "erbapp",
                PK_IMAGE_REPO: "acme/erb",
                PK_IMAGE_TAG: "v7",
                PK_SECOND_HOST: "192.0.2.11",
                PK_ZONE: "zone-b",
                PK_SECRET_NAME: "GIVEN",
            });
            const loaded = load("erb", { env, secrets: { GIVEN: "given" } });
            assert.deepEqual(loaded.warnings, []);
            assert.deepEqual(await reveal(loaded.args), {
                service: "erbapp",
                image: "acme/erb:v7",
                readinessDelay: 3,
                env: {
                    clear: { REGION: "zone-b", LITERAL: "<%= kept as text %>", DESTINATION: "none" },
                    secret: { GIVEN: secret("given") },
                },
                roles: { web: { hosts: ["192.0.2.9", "192.0.2.11"] } },
            });
        });
    });

    describe("broken configs: every problem at once, with file, line and key path", () => {
        const cases: [name: string, expected: string, options?: Parameters<typeof load>[1]][] = [
            [
                "broken-unknown-keys",
                `Invalid config/deploy.yml:
  - config/deploy.yml:5: servers.web.hsts: unknown key; did you mean "hosts"?
  - config/deploy.yml:10: proxy.app_prot: unknown key; did you mean "app_port"?
  - config/deploy.yml:12: proxy.healthcheck.pth: unknown key; did you mean "path"?
  - config/deploy.yml:14: ssh.usr: unknown key; did you mean "user"?
  - config/deploy.yml:18: env.secrets: unknown key; did you mean "secret"?`,
            ],
            [
                "broken-root-typos",
                `Invalid config/deploy.yml:
  - config/deploy.yml:1: servise: unknown key; did you mean "service"?
  - config/deploy.yml:1: service: is required
  - config/deploy.yml:1: image: is required
  - config/deploy.yml:2: imag: unknown key; did you mean "image"?
  - config/deploy.yml:5: retain_container: unknown key; did you mean "retain_containers"?`,
            ],
            [
                "broken-servers-and-roles",
                `Invalid config/deploy.yml:
  - config/deploy.yml:5: roles: servers and roles are the same setting (roles is another name for servers): keep one`,
            ],
            [
                "broken-missing-secrets",
                `Invalid config/deploy.yml:
  - config/deploy.yml:9: servers.web.env.secret[0]: secret "MISSING_API_KEY" not found in .kamal/secrets-common, .kamal/secrets
  - config/deploy.yml:12: env.secret[0]: secret "DB_PASSWORD" not found in .kamal/secrets-common, .kamal/secrets
  - config/deploy.yml:17: registry.password[0]: secret "KAMAL_REGISTRY_PASSWORD" not found in .kamal/secrets-common, .kamal/secrets`,
            ],
            [
                "broken-no-secrets-file",
                `Invalid config/deploy.yml:
  - config/deploy.yml:7: env.secret[0]: secret "DB_PASSWORD" not found in the secrets option; no secrets file (.kamal/secrets-common, .kamal/secrets) exists`,
                { secrets: { OTHER: "x" } },
            ],
            [
                "broken-erb",
                `Invalid config/deploy.yml:
  - config/deploy.yml:2: ERB <%= ENV.fetch("PK_MISSING_TAG") %>: environment variable PK_MISSING_TAG is not set, and ENV.fetch has no default
  - config/deploy.yml:3: unsupported ERB <% if ENV["PK_EXTRA"] %>: Ruby code is not run; only <%= ENV["X"] %>, <%= ENV.fetch("X") %> and <%= ENV.fetch("X", "default") %> are supported
  - config/deploy.yml:6: unsupported ERB <% end %>: Ruby code is not run; only <%= ENV["X"] %>, <%= ENV.fetch("X") %> and <%= ENV.fetch("X", "default") %> are supported
  - config/deploy.yml:10: unsupported ERB <%= %x(aws ecr get-login-password) %>: Ruby code is not run; only <%= ENV["X"] %>, <%= ENV.fetch("X") %> and <%= ENV.fetch("X", "default") %> are supported
  - config/deploy.yml:13: unsupported ERB <%= \`hostname\` %>: Ruby code is not run; only <%= ENV["X"] %>, <%= ENV.fetch("X") %> and <%= ENV.fetch("X", "default") %> are supported
  - config/deploy.yml:14: unsupported ERB <%= ENV["A"] + "x" %>: Ruby code is not run; only <%= ENV["X"] %>, <%= ENV.fetch("X") %> and <%= ENV.fetch("X", "default") %> are supported
  - config/deploy.yml:15: unterminated ERB tag: <% without a closing %>`,
            ],
            [
                "broken-types",
                `Invalid config/deploy.yml:
  - config/deploy.yml:5: servers.web.hosts: should be a list (got "10.0.0.1")
  - config/deploy.yml:6: servers.jobs: should be a list of hosts or a map with hosts (got nothing)
  - config/deploy.yml:8: proxy.app_port: should be a number (got "http")
  - config/deploy.yml:9: proxy.ssl: should be true or false (got "yes please")
  - config/deploy.yml:11: ssh.port: should be a number (got [22])
  - config/deploy.yml:13: boot.wait: should be a number (got "soon")
  - config/deploy.yml:14: labels: should be a map (got ["a","b"])
  - config/deploy.yml:15: volumes: should be a list (got "/data:/data")
  - config/deploy.yml:18: env.clear.NESTED: should be a string (got {"A":"b"})`,
            ],
            [
                "broken-schema-values",
                `Invalid config/deploy.yml:
  - config/deploy.yml:1: service: service must be lowercase letters, digits, '-' or '_' (starting with a letter or digit) (got "My Shop")
  - config/deploy.yml:3: retain_containers: retain_containers must keep at least 1 container (got 0)
  - config/deploy.yml:4: deploy_timeout: deploy_timeout must be more than 0 seconds (got -5)
  - config/deploy.yml:8: servers.web.hosts[0]: host must be a hostname or IP address (no user@, no :port: set ssh.user and ssh.port instead) (got "deploy@10.0.0.1")
  - config/deploy.yml:9: servers.web.boot_after[0]: unknown role; roles are: web (got "jobz")
  - config/deploy.yml:12: proxy.healthcheck.path: healthcheck.path must start with '/' (got "up")
  - config/deploy.yml:14: ssh.port: ssh.port must be between 1 and 65535 (got 70000)
  - config/deploy.yml:17: env.clear.BAD-NAME: env names are letters, digits and '_', not starting with a digit (got "BAD-NAME")
  - config/deploy.yml:18: primary_role: not a role; roles are: web (got "frontend")`,
            ],
            [
                "broken-boot-cycle",
                `Invalid config/deploy.yml:
  - config/deploy.yml:3: servers: boot_after forms a cycle: web -> jobs -> web; remove one of these dependencies`,
            ],
            [
                "broken-roles",
                `Invalid config/deploy.yml:
  - config/deploy.yml:7: servers.web.hosts[1]: one host per list item, as "host: tag" or "host: [tags]" (found 2 keys)
  - config/deploy.yml:10: servers.web.labels.service: destination, role and service are reserved labels: pulumi-kamal sets them; remove this label
  - config/deploy.yml:12: servers.web.options.restart: should be no, always, unless-stopped, on-failure or on-failure:N (write "no" in quotes to disable restarts) (got "sometimes")
  - config/deploy.yml:14: servers.web.env.tags: tags are only allowed in the root env
  - config/deploy.yml:18: servers.web.hooks.pre-app-boot: unknown key; did you mean "post-app-boot"?
  - config/deploy.yml:19: servers.web.hooks.post-app-boot.command: is required
  - config/deploy.yml:20: servers.web.hooks.post-app-boot.when: should be one of before-traffic, after-traffic, paused; did you mean "before-traffic"? (got "before_traffic")
  - config/deploy.yml:21: servers.web.hooks.post-app-boot.run_on: should be one of primary, all (got "every")
  - config/deploy.yml:22: servers.jobs: has no hosts: list at least one, or set allow_empty_roles: true to skip it`,
            ],
            [
                "broken-role-names",
                `Invalid config/deploy.yml:
  - config/deploy.yml:4: servers.Web: role name must be lowercase letters, digits, '-' or '_' (starting with a letter or digit) (got "Web")
  - config/deploy.yml:12: servers.jobs.hooks.post-app-boot.when: "paused" holds kamal-proxy traffic, but role "jobs" is not behind kamal-proxy; use "before-traffic" or set proxy: true on the role`,
            ],
            [
                "broken-ssl",
                `Invalid config/deploy.yml:
  - config/deploy.yml:4: servers.web: ssl: true (Let's Encrypt) works with one host per role; role web has 2: terminate TLS in front of the hosts and set ssl: false
  - config/deploy.yml:12: servers.api.proxy.ssl.certificate_pem: secret "CERTIFICATE_PEM" not found; no secrets file (.kamal/secrets-common, .kamal/secrets) exists
  - config/deploy.yml:13: servers.api.proxy.ssl.private_key_pem: secret "PRIVATE_KEY_PEM" not found; no secrets file (.kamal/secrets-common, .kamal/secrets) exists
  - config/deploy.yml:14: servers.admin: roles web and admin both serve shop.example with ssl: true; give each role its own proxy host`,
            ],
            [
                "broken-ssl-no-host",
                `Invalid config/deploy.yml:
  - config/deploy.yml:6: proxy.ssl: ssl: true needs proxy.host or proxy.hosts: Let's Encrypt certifies named hosts`,
            ],
            [
                "broken-registry",
                `Invalid config/deploy.yml:
  - config/deploy.yml:5: registry.password: is required
  - config/deploy.yml:7: registry.username: should be a string or a list with one secret name (got ["ONE","TWO"])`,
            ],
            [
                "broken-local-registry",
                `Invalid config/deploy.yml:
  - config/deploy.yml:6: registry.server: localhost:5555 is Kamal's local registry, which pulumi-kamal does not run: push the image to a registry the hosts can reach and set registry.server to it`,
            ],
            [
                "broken-yaml",
                `Invalid config/deploy.yml:
  - config/deploy.yml:6: YAML syntax error: A block sequence may not be used as an implicit map key`,
            ],
            [
                "broken-secret-commands",
                `Invalid config/deploy.yml:
  - .kamal/secrets:2: DB_PASSWORD: its $(...) command exited with status 3
  - .kamal/secrets:3: SECRETS: command $(kamal secrets fetch ...) could not run: kamal is not found on PATH (install Kamal's CLI, or read the secret with your vault's own CLI)
  - .kamal/secrets:4: FROM_VAULT: not run: it uses $SECRETS, which could not be read`,
                // A PATH without kamal.
                { env: { PATH: "/usr/bin:/bin" } },
            ],
            [
                "broken-destination",
                `Invalid config/deploy.yml (destination qa):
  - config/deploy.yml:6: readiness_delay: should be a number (got "soon")
  - config/deploy.qa.yml:2: servers.web.hosts: is required
  - config/deploy.qa.yml:3: servers.web.hots: unknown key; did you mean "hosts"?
  - config/deploy.qa.yml:6: proxy.app_port: proxy.app_port must be between 1 and 65535 (got 0)`,
                { destination: "qa" },
            ],
        ];

        for (const [name, expected, options] of cases) {
            it(name, () => {
                assert.equal(rejection(name, options), expected);
            });
        }

        it("lists each problem once", () => {
            for (const [name, , options] of cases) {
                const lines = problemLines(rejection(name, options));
                assert.equal(new Set(lines).size, lines.length, name);
            }
        });
    });
});
