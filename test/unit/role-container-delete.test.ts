/**
 * RoleContainer's delete against fake hosts: a replaced container kept for
 * rollback; a destroy removing what the stack started, and leaving what
 * another state serves.
 */
import assert from "node:assert/strict";
import * as docker from "../../provider/commands/docker";
import * as proxy from "../../provider/commands/proxy";
import { RoleContainerOutputs, roleContainerProvider } from "../../provider/resources/role-container";
import { inspectOutput, psLine } from "./fakes";
import { dockerHost, hex, inspecting, OLD_ID, NEW_ID, PROXY_CLI, roleInputs as inputs, stderr, uninstallHosts, use, withFakeHosts } from "./provider-hosts";

describe("roleContainerProvider.delete", () => {
    withFakeHosts();

    const olds: RoleContainerOutputs = { ...inputs(), containerId: OLD_ID, containerName: "app-web-v2", healthyAt: 1 };

    const routes = (target: string) => ({ stdout: `Service  Host  Path  Target  State  TLS\napp-web  app.example.com  /  ${target.slice(0, 12)}:3000  running  no\n` });

    it("still running beside another running container nothing routes to (an interrupted deploy's): a destroy, both removed", async () => {
        const stray = hex("e");
        const h1 = dockerHost("h1")
            .on(["docker", "ps"], { stdout: [psLine(stray, "app-web-v3", "running", "2024-01-02 10:00:00"), psLine(OLD_ID, "app-web-v2", "running", "2024-01-01 10:00:00")].join("\n") })
            .on([...PROXY_CLI, "list"], routes(OLD_ID));
        use(h1);
        await roleContainerProvider.delete!(OLD_ID, olds);
        assert.deepEqual(h1.calls.map((c) => c.argv), [
            docker.listRoleContainers("app", "web"), proxy.list(), docker.remove(stray, OLD_ID), docker.removeFile(".kamal/apps/app/env/roles/web.env"),
        ]);
        assert.ok(stderr.lines.some((l) => /removed app-web-v3, left running by an interrupted deploy/.test(l)), stderr.lines.join(""));
    });

    it("while kamal-proxy routes the role to another state's running container: only ours goes; theirs and the env file stay", async () => {
        const theirs = hex("f");
        const h1 = dockerHost("h1")
            .on(["docker", "ps"], { stdout: [psLine(theirs, "app-web-v3", "running", "2024-01-02 10:00:00"), psLine(OLD_ID, "app-web-v2", "running", "2024-01-01 10:00:00")].join("\n") })
            .on([...PROXY_CLI, "list"], routes(theirs))
            .on(inspecting(theirs.slice(0, 12)), { stdout: inspectOutput(theirs, "app-web-v3", { running: true }) });
        use(h1);
        await roleContainerProvider.delete!(OLD_ID, olds);
        assert.deepEqual(h1.find(["docker", "rm"]).map((c) => c.argv), [docker.remove(OLD_ID)]);
        assert.equal(h1.find(["sh"]).length, 0, "the env file the serving container reads was removed");
    });

    it("two entries of the role deleted at once (a pending replacement and the current one): the one that finds a container already gone or being removed succeeds", async () => {
        const h1 = dockerHost("h1")
            .on(["docker", "ps"], { stdout: psLine(OLD_ID, "app-web-v2", "running", "2024-01-01 10:00:00") })
            .on(["docker", "rm"], { code: 1, stderr: `Error response from daemon: removal of container ${OLD_ID} is already in progress\n` });
        use(h1);
        await roleContainerProvider.delete!(OLD_ID, olds);
        uninstallHosts();
        const h2 = dockerHost("h1")
            .on(["docker", "ps"], { stdout: psLine(OLD_ID, "app-web-v2", "running", "2024-01-01 10:00:00") })
            .on(["docker", "rm"], { code: 1, stderr: "Error response from daemon: container is in use by the daemon\n" });
        use(h2);
        await assert.rejects(roleContainerProvider.delete!(OLD_ID, olds), /container is in use by the daemon/);
    });

    it("replaced (the successor's switch stopped it, the successor runs): kept for rollback, nothing touched", async () => {
        const h1 = dockerHost("h1")
            .on(["docker", "ps"], { stdout: [psLine(NEW_ID, "app-web-v3", "running", "2024-01-02 10:00:00"), psLine(OLD_ID, "app-web-v2", "exited", "2024-01-01 10:00:00")].join("\n") })
            .on(inspecting(OLD_ID), { stdout: inspectOutput(OLD_ID, "app-web-v2", { running: false }) });
        use(h1);
        await roleContainerProvider.delete!(OLD_ID, olds);
        assert.equal(h1.find(["docker", "stop"]).length + h1.find(["docker", "rm"]).length + h1.find(["sh"]).length, 0);
    });

    it("without a successor (destroy): removes it, the role's retained containers, and the env file", async () => {
        const older = hex("c");
        const h1 = dockerHost("h1").on(["docker", "ps"], {
            stdout: [
                psLine(older, "app-web-v1", "exited", "2024-01-01 09:00:00"),
                psLine(OLD_ID, "app-web-v2", "running", "2024-01-01 10:00:00"),
                psLine(hex("d"), "app-web-v2", "running", "2024-01-01 10:00:00", "staging"), // another destination: not ours
            ].join("\n"),
        });
        use(h1);
        await roleContainerProvider.delete!(OLD_ID, olds);
        assert.deepEqual(h1.calls.map((c) => c.argv), [
            docker.listRoleContainers("app", "web"),
            proxy.list(),
            docker.remove(OLD_ID, older),
            docker.removeFile(".kamal/apps/app/env/roles/web.env"),
        ]);
    });
});
