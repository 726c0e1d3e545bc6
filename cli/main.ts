#!/usr/bin/env node
/** `pulumi-kamal deploy|preview|refresh|destroy [-d DEST] [-c FILE]`: see HELP. */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { EXIT } from "./exit";
// Type only: the engine runner (and @pulumi/pulumi) load when a command runs, so --help is instant.
import type { Command } from "./run";

export const HELP = `Usage: pulumi-kamal <command> [-d DESTINATION] [-c CONFIG_FILE] [--backend URL]

Deploys the app of a Kamal project (config/deploy.yml, .kamal/secrets) with
Pulumi's engine: kamal-proxy and each role's containers on your hosts over
SSH, and each role's post-app-boot hook in its new container before it takes
traffic. No Pulumi program needed.

Commands:
  deploy    refresh the state from the hosts (unless --no-refresh), then
            boot the app as in config/deploy.yml: pull, start, health-check,
            run the role hooks, switch traffic, stop the old containers;
            prints the URLs, version and containers per host
  preview   show what deploy would change (Pulumi's diff); changes nothing
  refresh   update the state from what really runs on the hosts (e.g.
            after a \`kamal rollback\` or a container removed by hand);
            changes nothing on the hosts
  destroy   remove the app's containers, proxy routes and env files, and
            kamal-proxy if this app started it and no other app uses it;
            then the destination's state
  lock status|release
            show or remove the deploy lock (Kamal's, on the primary host),
            e.g. one left by a deploy that was killed

Options:
  -d, --destination DEST   Kamal's destination: merges config/deploy.DEST.yml
                           and reads .kamal/secrets.DEST; one state per DEST
  -c, --config-file FILE   the deploy file (default: config/deploy.yml, looked
                           for in the current directory and those above it)
      --backend URL        where the state lives, any Pulumi backend URL:
                           file:///shared/dir, s3://bucket/prefix (and other
                           S3-compatible stores), https://api.pulumi.com;
                           default PULUMI_BACKEND_URL, else the project's
                           .kamal/pulumi-state
      --no-refresh         deploy without refreshing the state first
  -h, --help               show this help
      --version            print pulumi-kamal's version

Environment:
  PULUMI_CONFIG_PASSPHRASE       encrypts the secrets in the state; or
  PULUMI_CONFIG_PASSPHRASE_FILE  a file holding it. When neither is set you
                                 are asked for it on a terminal; without a
                                 terminal pulumi-kamal stops (exit 2)
  PULUMI_CLI_DIR                 the directory holding the \`pulumi\` program
                                 (default: the one on PATH; install it from
                                 https://www.pulumi.com/docs/iac/download-install/)
  PULUMI_BACKEND_URL             the state's backend when --backend is not
                                 given (as for the pulumi CLI). s3:// takes
                                 the AWS_* credentials; an S3-compatible store
                                 takes its endpoint in the URL, as Pulumi
                                 documents (s3://bucket?endpoint=HOST:PORT&...)
  VERSION                        the tag for an image written without one
  Also read: whatever config/deploy.yml's ERB and .kamal/secrets use.

State:
  .kamal/pulumi-state in the project (beside config/): Pulumi's local
  backend, project = service, stack = DEST or "default". Keep it (it is how
  the next deploy knows what runs where); its secrets are encrypted. A team
  shares one backend (--backend / PULUMI_BACKEND_URL) and one passphrase.

Exit status:
  0 success; 1 the deploy (preview, destroy) failed; 2 bad usage or
  configuration, reported before any host is touched; 130 interrupted.
`;

const COMMANDS: readonly Command[] = ["deploy", "preview", "refresh", "destroy"];

export type Parsed =
    | { help: true }
    | { version: true }
    | { error: string }
    | { command: Command; destination?: string; configFile?: string; backend?: string; refresh?: false };

/** This package's version, from the package.json beside dist/. */
export function packageVersion(): string {
    return JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8")).version;
}

export function parseCli(argv: string[]): Parsed {
    let parsed;
    try {
        parsed = parseArgs({
            args: argv,
            allowPositionals: true,
            strict: true,
            options: {
                destination: { type: "string", short: "d" },
                "config-file": { type: "string", short: "c" },
                backend: { type: "string" },
                "no-refresh": { type: "boolean" },
                help: { type: "boolean", short: "h" },
                version: { type: "boolean" },
            },
        });
    } catch (e) {
        return { error: (e as Error).message };
    }
    const { values, positionals } = parsed;
    if (values.help || positionals[0] === "help") return { help: true };
    if (values.version) return { version: true };
    if (positionals.length === 0) return { error: "no command given" };
    const [command, ...rest] = positionals;
    if (!COMMANDS.includes(command as Command)) return { error: `unknown command "${command}"` };
    if (rest.length > 0) return { error: `unexpected argument "${rest[0]}"` };
    if (values.destination === "") return { error: "the destination is empty" };
    if (values.backend !== undefined && !/^[a-z][a-z0-9+.-]*:\/\//i.test(values.backend)) {
        return { error: `--backend "${values.backend}" is not a backend URL: use file:///path, s3://bucket/prefix or https://api.pulumi.com` };
    }
    if (values["no-refresh"] && command !== "deploy") return { error: "--no-refresh applies to deploy only" };
    return {
        command: command as Command,
        ...(values.destination !== undefined ? { destination: values.destination } : {}),
        ...(values["config-file"] !== undefined ? { configFile: values["config-file"] } : {}),
        ...(values.backend !== undefined ? { backend: values.backend } : {}),
        ...(values["no-refresh"] ? { refresh: false as const } : {}),
    };
}

async function main(): Promise<number> {
    if (process.argv[2] === "lock") return (await import("./lock")).lockCommand(process.argv.slice(3), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin });
    const parsed = parseCli(process.argv.slice(2));
    if ("help" in parsed) {
        process.stdout.write(HELP);
        return EXIT.ok;
    }
    if ("version" in parsed) {
        process.stdout.write(`pulumi-kamal ${packageVersion()}\n`);
        return EXIT.ok;
    }
    if ("error" in parsed) {
        process.stderr.write(`pulumi-kamal: ${parsed.error}\nRun pulumi-kamal --help for usage.\n`);
        return EXIT.usage;
    }
    const { run } = await import("./run");
    return run(parsed, { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin });
}

if (require.main === module) {
    main().then(
        (code) => {
            process.exitCode = code;
        },
        (e) => {
            process.stderr.write(`pulumi-kamal: ${e instanceof Error ? e.stack : String(e)}\n`);
            process.exitCode = EXIT.failed;
        },
    );
}
