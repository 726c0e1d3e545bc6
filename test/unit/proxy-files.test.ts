/**
 * Kamal's error pages and custom certificates: deploy.yml to KamalApp
 * arguments, to the files the switch writes and the kamal-proxy flags.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { proxyTarget, readErrorPages } from "../../components/inputs";
import { parseAppConfig } from "../../config/validate";
import * as kamal from "../../provider/commands/kamal";
import { roleContainerProvider } from "../../provider/resources/role-container";
import { TrafficSwitchInputs, trafficSwitchProvider } from "../../provider/resources/traffic-switch";
import { captureStderr, connection, FakeHost, installHosts } from "./fakes";
import { fixture, load, reveal, secret } from "./loader/helpers";

const PROXY_CLI = ["docker", "exec", "kamal-proxy", "kamal-proxy"];

describe("error pages and custom certificates", () => {
    it("deploy.yml: ssl certificate_pem/private_key_pem name secrets; error_pages_path from the project root", async () => {
        const { args } = load("custom-ssl");
        assert.deepEqual(await reveal(args.proxy), { host: "shop.example", ssl: { certificatePem: secret("cert-text"), privateKeyPem: secret("key-text") } });
        assert.equal(args.errorPagesPath, path.join(fixture("custom-ssl"), "public"));
        assert.deepEqual(readErrorPages(args.errorPagesPath!), { "503.html": "<h1>503</h1>\n" });
    });

    it("a pages directory without 4xx/5xx pages fails naming the field and the fix", () => {
        assert.throws(() => readErrorPages(fixture("custom-ssl")), /errorPagesPath: ".*custom-ssl" holds no 4xx\/5xx \.html pages .*add them or remove errorPagesPath/);
    });

    it("proxyTarget points kamal-proxy at Kamal's certificate paths; preflight and plain ssl have none", () => {
        const app = parseAppConfig("x", {
            service: "shop", image: "acme/shop:1", destination: "prod",
            proxy: { host: "shop.example", ssl: { certificatePem: "c", privateKeyPem: "k" } },
            roles: { web: { hosts: ["a"] }, api: { hosts: ["b"], proxy: { host: "api.example", ssl: true } } },
        });
        const web = proxyTarget(app, "web")!;
        assert.equal(web.tls, true);
        assert.equal(web.tlsCertificatePath, "/home/kamal-proxy/.apps-config/shop-prod/tls/web/cert.pem");
        assert.equal(web.tlsPrivateKeyPath, "/home/kamal-proxy/.apps-config/shop-prod/tls/web/key.pem");
        assert.equal(proxyTarget(app, "api")!.tlsCertificatePath, undefined);
    });

    describe("the switch", () => {
        let stderr: ReturnType<typeof captureStderr>;
        let uninstall: () => void;
        beforeEach(() => { stderr = captureStderr(); });
        afterEach(() => { stderr.restore(); uninstall?.(); });

        it("writes this version's pages and the certificate on stdin before deploying with them, then drops other versions' pages", async () => {
            const h1 = new FakeHost("h1").on(() => true, { stdout: "" });
            uninstall = installHosts([h1]);
            const inputs: TrafficSwitchInputs = {
                connection: connection("h1"), service: "shop", role: "web", containerId: "a".repeat(64), containerName: "shop-web-v2",
                proxy: {
                    service: "shop-web", appPort: 80, hosts: ["shop.example"], tls: true, deployTimeout: 30, drainTimeout: 30,
                    healthcheck: { path: "/up", interval: 1, timeout: 5 }, responseTimeout: 30,
                    tlsCertificatePath: "/home/kamal-proxy/.apps-config/shop/tls/web/cert.pem", tlsPrivateKeyPath: "/home/kamal-proxy/.apps-config/shop/tls/web/key.pem",
                },
                retainContainers: 5,
                errorPages: { version: "v2", files: { "502.html": "bad gateway", "503.html": "maintenance" } },
                tlsCertificate: { certificatePem: "CERT-TEXT", privateKeyPem: "PRIVATE-KEY-TEXT" },
            };
            await trafficSwitchProvider.create(inputs);
            const writes = h1.calls.filter((c) => c.argv[2]?.includes("chmod"));
            assert.deepEqual(writes.map((c) => [c.argv[4], c.stdin]), [
                [".kamal/proxy/apps-config/shop/error_pages/v2/502.html", "bad gateway"],
                [".kamal/proxy/apps-config/shop/error_pages/v2/503.html", "maintenance"],
                [".kamal/proxy/apps-config/shop/tls/web/cert.pem", "CERT-TEXT"],
                [".kamal/proxy/apps-config/shop/tls/web/key.pem", "PRIVATE-KEY-TEXT"],
            ]);
            const deploy = h1.find([...PROXY_CLI, "deploy"])[0].argv;
            const flag = (name: string) => deploy[deploy.indexOf(name) + 1];
            assert.equal(flag("--tls-certificate-path"), "/home/kamal-proxy/.apps-config/shop/tls/web/cert.pem");
            assert.equal(flag("--tls-private-key-path"), "/home/kamal-proxy/.apps-config/shop/tls/web/key.pem");
            assert.equal(flag("--error-pages"), "/home/kamal-proxy/.apps-config/shop/error_pages/v2");
            assert.ok(h1.calls.indexOf(writes.at(-1)!) < h1.calls.findIndex((c) => c.argv[4] === "deploy"));
            assert.ok(h1.calls.some((c) => c.argv.join(" ") === kamal.cleanErrorPages(".kamal/proxy/apps-config/shop/error_pages", "v2").join(" ")));
            for (const c of h1.calls) assert.ok(!c.argv.join(" ").includes("PRIVATE-KEY-TEXT"), `key in argv: ${c.argv.join(" ")}`);
            assert.ok(!stderr.lines.join("\n").includes("PRIVATE-KEY-TEXT"));

            // destroy: the key leaves the host with the app
            h1.on(["docker", "container", "inspect"], { code: 1, stderr: "No such container" });
            await trafficSwitchProvider.delete!("h1/shop-web", { ...inputs, retired: [], switchedAt: 1 });
            assert.ok(h1.calls.some((c) => c.argv.join(" ") === kamal.removeProxyDir(".kamal/proxy/apps-config/shop/tls/web").join(" ")));
        });

        it("the container's boot already puts the certificate in place (a paused hook switches before the traffic switch)", async () => {
            const id = "c".repeat(64);
            const h1 = new FakeHost("h1").on(() => true, { stdout: "" })
                .on(["docker", "image", "inspect"], { stdout: 'sha256:1\t{"service":"shop"}\n' })
                .on(["docker", "container", "inspect"], { code: 1 })
                .on(["docker", "container", "inspect", "--format", "{{json .State}}\t{{.Id}}\t{{.Name}}", id], { stdout: `{"Status":"running","Running":true}\t${id}\t/shop-web-v2\n` })
                .on(["docker", "run"], { stdout: `${id}\n` });
            uninstall = installHosts([h1]);
            await roleContainerProvider.create({
                connection: connection("h1"), service: "shop", role: "web", version: "v2", image: "acme/shop:v2", env: {}, secretEnv: {}, labels: {}, volumes: [], options: {},
                health: { kind: "docker", readinessDelay: 0, deployTimeout: 5 },
                tlsCertificate: { certificatePem: "CERT-TEXT", privateKeyPem: "PRIVATE-KEY-TEXT" },
            });
            const writes = h1.calls.filter((c) => c.argv[2]?.includes("chmod"));
            assert.deepEqual(writes.map((c) => [c.argv[4], c.stdin]), [
                [".kamal/proxy/apps-config/shop/tls/web/cert.pem", "CERT-TEXT"],
                [".kamal/proxy/apps-config/shop/tls/web/key.pem", "PRIVATE-KEY-TEXT"],
            ]);
            assert.ok(h1.calls.indexOf(writes[1]) < h1.indexOf(["docker", "run"]));
            for (const c of h1.calls) assert.ok(!c.argv.join(" ").includes("PRIVATE-KEY-TEXT"));
        });
    });
});
