/** loadDeployConfig: Kamal's config/deploy.yml (+ destination file, secrets files, ERB) into KamalApp args. */
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadDeployConfig } from "../../../config/deploy-yml";
import { appSchema } from "../../../config/schema";
import { fixture, load, rejection, reveal, secret, testEnv } from "./helpers";

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
});
