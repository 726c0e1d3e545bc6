/** deploy.yml `registry`: where the image is pulled from, its credentials as secrets. */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { input } from "./fields";
import type { Field, KeySpec, Reader } from "./reader";

export const registrySchema = z.strictObject({
    server: input(z.string()).optional(),
    username: input(z.string()),
    password: input(z.string()),
});

const REGISTRY: KeySpec = { ours: ["server", "username", "password"] };

export function readRegistry(r: Reader, f: Field): { args: Record<string, unknown>; server?: string } | undefined {
    const m = r.map(f, REGISTRY, ["registry"]);
    if (!m) return undefined;
    const out: Record<string, unknown> = {};
    const server = m.get("server") ? r.str(m.get("server")!, ["registry", "server"]) : undefined;
    if (server !== undefined) {
        if (/^localhost[:$]/.test(server)) {
            r.fail(
                m.get("server")!.origin,
                m.get("server")!.ypath,
                `${server} is Kamal's local registry, which pulumi-kamal does not run: push the image to a registry the hosts can reach and set registry.server to it`,
                ["registry"],
            );
            return undefined;
        }
        out.server = server;
        r.record(["registry", "server"], m.get("server")!.origin, m.get("server")!.ypath);
    }
    for (const key of ["username", "password"] as const) {
        const field = m.get(key);
        const argPath = ["registry", key];
        if (!field) {
            r.fail(f.origin, [...f.ypath, key], "is required", argPath);
            continue;
        }
        r.record(argPath, field.origin, field.ypath);
        if (field.node.kind === "seq") {
            const [first] = field.node.items;
            if (field.node.items.length !== 1 || first.kind !== "scalar" || typeof first.value !== "string") {
                r.typeError(field, "a string or a list with one secret name", argPath);
                continue;
            }
            const secret = r.secret(first.value, { node: first, origin: first.origin, ypath: [...field.ypath, 0] }, argPath);
            if (secret) out[key] = secret;
        } else if (field.node.kind === "scalar") {
            const value = r.str(field, argPath);
            if (value === undefined) continue;
            out[key] = key === "password" ? pulumi.secret(value) : value;
        } else {
            r.typeError(field, "a string or a list with one secret name", argPath);
        }
    }
    return { args: out, server };
}
