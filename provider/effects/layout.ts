/**
 * The host layout Kamal relies on, applied through a Transport: the image
 * tagged `REPO:VERSION` with the `service` label, `REPO:latest[-DEST]` moved
 * after a switch, Kamal-style pruning and the audit log.
 */
import { spawnSync } from "node:child_process";
import { userInfo } from "node:os";
import * as kamal from "../commands/kamal";
import { CommandError, run, Transport } from "../transport";

/**
 * Makes `absolute` (REPO:VERSION) name `image` on the host, carrying the
 * `service` label, so Kamal's `app boot`, `rollback VERSION` and `prune`
 * find it. Returns the reference containers run from.
 */
export async function ensureKamalImage(t: Transport, image: string, absolute: string, service: string): Promise<string> {
    const [id, labelsJson] = (await run(t, kamal.imageConfig(image))).trim().split("\t");
    const labels = (JSON.parse(labelsJson || "null") ?? {}) as Record<string, string>;
    if (labels.service === service) {
        if (image !== absolute) await run(t, kamal.tag(image, absolute));
    } else {
        // Same layers, one more label: a metadata-only build.
        await run(t, kamal.labelImage(absolute, { service }), { stdin: `FROM ${id}\n` });
    }
    return absolute;
}

/** Kamal's last boot step: `docker tag REPO:VERSION REPO:latest[-DEST]`. */
export async function tagLatest(t: Transport, absolute: string, destination?: string): Promise<void> {
    await run(t, kamal.tag(absolute, kamal.latestImage(absolute, destination)));
}

/**
 * Kamal's `prune all` on one host: the newest `retain` stopped containers of
 * the service are kept (any role, any destination), then dangling and
 * unused images of the service are removed. Races with another prune are
 * harmless: what is already gone is skipped.
 */
export async function pruneService(t: Transport, service: string, retain: number, latest: string): Promise<{ containers: string[]; images: string[] }> {
    const stopped = (await run(t, kamal.stoppedServiceContainers(service))).split("\n").map((l) => l.trim()).filter(Boolean);
    const containers = stopped.slice(retain);
    for (const id of containers) await t.exec(kamal.removeContainer(id));
    await t.exec(kamal.pruneDanglingImages(service));
    const inUse = (await run(t, kamal.serviceContainerImages(service))).split("\n").map((l) => l.trim()).filter(Boolean);
    const images = kamal.imagesToRemove(await run(t, kamal.serviceImages(service)), inUse, latest);
    for (const ref of images) await t.exec(kamal.removeImage(ref));
    return { containers, images };
}

let performerName: string | undefined;
/** Kamal's performer: the git user's email, else the local user name. */
export function performer(): string {
    if (performerName === undefined) {
        const git = spawnSync("git", ["config", "user.email"], { encoding: "utf8", timeout: 2000 });
        performerName = (git.status === 0 && git.stdout.trim()) || safeUserName();
    }
    return performerName;
}

function safeUserName(): string {
    try {
        return userInfo().username;
    } catch {
        return "unknown";
    }
}

/** Appends a line to `.kamal/SERVICE[-DEST]-audit.log`, as Kamal records its own steps. Never fails a deploy. */
export async function audit(t: Transport, ref: { service: string; destination?: string; role?: string }, message: string): Promise<void> {
    const line = kamal.auditLine(message, { at: new Date(), performer: performer(), destination: ref.destination, role: ref.role });
    const argv = kamal.appendAudit(kamal.auditLogPath(ref.service, ref.destination), line);
    const r = await t.exec(argv).catch(() => undefined);
    if (r && r.code !== 0) process.stderr.write(`${new CommandError(t.host, argv, r).message}\n`);
}

/** A role's custom certificate and key where Kamal keeps them (`.kamal/proxy/apps-config/SERVICE[-DEST]/tls/ROLE`), on stdin. */
export async function writeCertificate(
    t: Transport, ref: { service: string; destination?: string; role: string }, cert: { certificatePem: string; privateKeyPem: string },
): Promise<void> {
    const dir = `${kamal.proxyAppHostDir(ref.service, ref.destination)}/tls/${ref.role}`;
    await run(t, kamal.writeProxyFile(`${dir}/cert.pem`), { stdin: cert.certificatePem });
    await run(t, kamal.writeProxyFile(`${dir}/key.pem`), { stdin: cert.privateKeyPem });
}
