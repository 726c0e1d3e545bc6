/** deploy.yml `primary_role`: the role other roles wait for, and the one proxied by default. */
import { z } from "zod";
import type { KamalAppConfig } from "../types";
import { problem } from "../issues";
import { isPlainObject } from "./fields";

/** The primary role, or the first role when the default "web" is not defined (as Kamal does). */
export function primaryRoleOf(app: Pick<KamalAppConfig, "roles" | "primaryRole">): string {
    return app.roles[app.primaryRole] ? app.primaryRole : Object.keys(app.roles)[0];
}

/** primary_role names a role (the default "web" may be absent: the first role is primary then). */
export function checkPrimaryRole(app: unknown, ctx: z.RefinementCtx): void {
    if (!isPlainObject(app) || !isPlainObject(app.roles) || typeof app.primaryRole !== "string") return;
    const roles = Object.keys(app.roles);
    if (app.roles[app.primaryRole] === undefined && app.primaryRole !== "web") {
        problem(ctx, ["primaryRole"], `not a role; roles are: ${roles.join(", ")}`, app.primaryRole);
    }
}
