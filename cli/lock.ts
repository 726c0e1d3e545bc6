/**
 * `pulumi-kamal lock status|release [-d DEST] [-c FILE]`: Kamal's `kamal lock
 * status|release`, on the same lock (the primary host's
 * ~/.kamal/locks/SERVICE[-DEST]), so nobody needs ssh by hand.
 */
import { parseArgs } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { connectionTo } from "../components/connection";
import { loadDeployConfig } from "../config/deploy-yml";
import { hostEntry } from "../components/inputs";
import { primaryRoleOf } from "../config/schema";
import { KamalConfigError, parseAppConfig } from "../config/validate";
import * as lockCmd from "../provider/commands/lock";
import { connect, run, SshTarget } from "../provider/transport";
import { EXIT } from "./exit";
import { findProject, Io, UsageError } from "./run";

/** The value of an Input outside a Pulumi program (secrets from .kamal/secrets are Outputs). */
const resolve = <T>(v: pulumi.Input<T>): Promise<T> => new Promise((r) => { pulumi.output(v).apply((x) => { r(x as T); return x; }); });

export async function lockCommand(argv: string[], io: Io, cwd = process.cwd(), env = process.env): Promise<number> {
    const say = (line: string) => io.stdout.write(`${line}\n`);
    let values;
    let positionals;
    try {
        ({ values, positionals } = parseArgs({
            args: argv, allowPositionals: true, strict: true,
            options: { destination: { type: "string", short: "d" }, "config-file": { type: "string", short: "c" } },
        }));
        if (positionals.length !== 1 || !["status", "release"].includes(positionals[0])) throw new UsageError("usage: pulumi-kamal lock status|release [-d DESTINATION] [-c CONFIG_FILE]");
    } catch (e) {
        io.stderr.write(`pulumi-kamal: ${(e as Error).message}\n`);
        return EXIT.usage;
    }
    let target: SshTarget;
    let dir: string;
    try {
        const project = findProject(cwd, values["config-file"]);
        const loaded = loadDeployConfig({ cwd: project.root, file: project.file, destination: values.destination, env });
        const app = parseAppConfig(String(loaded.args.service), loaded.args);
        target = await resolve(connectionTo(app.ssh, hostEntry(app.roles[primaryRoleOf(app)].hosts[0]).host));
        dir = lockCmd.lockDir(app.service, app.destination);
    } catch (e) {
        if (!(e instanceof KamalConfigError || e instanceof UsageError)) throw e;
        io.stderr.write(`${e.message}\n`);
        return EXIT.usage;
    }
    const t = connect(target);
    try {
        if (positionals[0] === "release") {
            const out = (await run(t, lockCmd.forceRelease(dir))).trim();
            say(out === "released" ? `Released the deploy lock (${target.host}:~/${dir})` : "There is no deploy lock");
            return EXIT.ok;
        }
        const shown = lockCmd.parseShown(await run(t, lockCmd.status(dir)));
        if (!shown.held) {
            say("There is no deploy lock");
            return EXIT.ok;
        }
        say(`Deploy lock on ${target.host}:~/${dir}, held for ${shown.now - shown.since}s`);
        say(shown.details || "(no details)");
        if (shown.expires !== undefined) say(shown.expires < shown.now ? "Its lease has expired: the next deploy breaks it" : `Its lease expires in ${shown.expires - shown.now}s unless its deploy renews it`);
        return EXIT.ok;
    } catch (e) {
        io.stderr.write(`pulumi-kamal: ${(e as Error).message}\n`);
        return EXIT.failed;
    } finally {
        (t as { dispose?: () => void }).dispose?.();
    }
}
