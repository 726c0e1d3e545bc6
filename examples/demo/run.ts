/**
 * Runs the demo through the Automation API (no `pulumi-language-nodejs`
 * needed): `node dist/examples/demo/run.js [up|destroy]`.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LocalWorkspace, PulumiCommand } from "@pulumi/pulumi/automation";
import { DEMO_DEFAULTS, demoProgram } from "./program";

async function main() {
    const action = process.argv[2] ?? "up";
    const repo = path.resolve(__dirname, "../../..");
    const cli = process.env.PULUMI_CLI_DIR ?? execFileSync("bash", [path.join(repo, "scripts/testbed/pulumi-cli.sh")], { encoding: "utf8" }).trim();
    const state = path.join(repo, ".pulumi-state");
    fs.mkdirSync(state, { recursive: true });
    const stack = await LocalWorkspace.createOrSelectStack(
        { stackName: "demo", projectName: "pulumi-kamal-demo", program: demoProgram({ image: process.env.DEMO_IMAGE ?? DEMO_DEFAULTS.image, httpPort: Number(process.env.DEMO_HTTP_PORT ?? DEMO_DEFAULTS.httpPort) }) },
        {
            // The repository root is the program directory: the provider process resolves pulumi-kamal from here.
            workDir: repo,
            pulumiCommand: await PulumiCommand.get({ root: path.dirname(cli) }),
            envVars: {
                PULUMI_BACKEND_URL: `file://${state}`,
                PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE ?? "demo",
                PULUMI_SKIP_UPDATE_CHECK: "true",
                PATH: `${cli}:${process.env.PATH}`,
                PULUMI_HOME: process.env.PULUMI_HOME ?? path.join(os.homedir(), ".pulumi"),
            },
        },
    );
    const onOutput = (s: string) => process.stdout.write(s);
    if (action === "destroy") {
        await stack.destroy({ onOutput, color: "always" });
        return;
    }
    const result = await stack.up({ onOutput, color: "always" });
    console.log(`\nThe demo is up: ${result.outputs.url.value}`);
}

main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
});
