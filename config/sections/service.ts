/**
 * deploy.yml `service`, `image` and the destination: what is deployed, under
 * which name. Kamal prefixes the image with registry.server and tags it with VERSION.
 */
import { z } from "zod";
import { IMAGE_REF } from "../../common/image";
import { input, nameField } from "./fields";
import type { Field, Reader } from "./reader";

export const imageRef = (what: string) => z.string().min(1, { error: `${what} cannot be empty` })
    .regex(IMAGE_REF, { error: `${what} is not a Docker image reference: use [registry[:port]/]name[:tag][@sha256:digest], lowercase name` });

export const serviceSchema = nameField("service");
export const imageSchema = input(imageRef("image"));
/** Defaults to the image tag (or digest); a new version makes new containers. */
export const versionSchema = input(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/));
export const destinationSchema = nameField("destination");

export function readImage(r: Reader, args: Record<string, unknown>, f: Field, server: string | undefined): void {
    const name = r.str(f, ["image"]);
    if (name === undefined) return;
    // Kamal deploys "<registry.server>/<image>:<version>".
    let ref = server && !name.startsWith(`${server}/`) ? `${server}/${name}` : name;
    const lastSegment = ref.slice(ref.lastIndexOf("/") + 1);
    if (!lastSegment.includes(":") && !ref.includes("@")) {
        const version = r.env.VERSION;
        if (version) ref = `${ref}:${version}`;
        else {
            r.warnAt(
                f.origin,
                f.ypath,
                `"${ref}" has no tag; Kamal would deploy the git commit's tag, pulumi-kamal deploys the image as written (Docker pulls :latest): put the tag in image, set VERSION, or pass image from your build`,
            );
        }
    }
    args.image = ref;
    r.record(["image"], f.origin, f.ypath);
}

/** Kamal's require_destination: refuse to load without one. */
export function readRequireDestination(r: Reader, f: Field): void {
    if (r.bool(f) === true && r.destination === undefined) {
        r.fail(f.origin, f.ypath, "this configuration needs a destination: pass destination (Kamal's -d DEST), which merges config/deploy.DEST.yml");
    }
}
