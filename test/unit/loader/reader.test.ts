/** How deploy.yml problems are reported (config/sections/reader.ts): every problem at once, each at its file, line and key path. */
import assert from "node:assert/strict";
import { load, problemLines, rejection } from "./helpers";

describe("loadDeployConfig", () => {
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
  - config/deploy.yml:18: env.clear.NESTED: should be a string (got {"A":"b"})
  - config/deploy.yml:20: env.clear.EMPTY: should be a string (got nothing)`,
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
