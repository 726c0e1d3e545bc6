/**
 * deploy.yml `boot` and each role's `boot_after`: how many hosts boot at once,
 * and which roles a role waits for.
 */
import { z } from "zod";
import type { KamalAppConfig } from "../types";
import { problem } from "../issues";
import { delay, rolesOf } from "./fields";
import { primaryRoleOf } from "./primary";
import type { Field, KeySpec, Path, Reader } from "./reader";

export const bootSchema = z.strictObject({
    /** Hosts booted at once per role: a number, or a percentage string like "25%". */
    limit: z.union([z.number().int().positive(), z.string().regex(/^\d+%$/)]).optional(),
    /** Seconds to wait between host groups. */
    wait: delay("boot.wait").optional(),
});

const BOOT: KeySpec = {
    ours: ["limit", "wait"],
    kamal: {
        parallel_roles:
            "ignored; roles boot in boot_after order (by default every other role after the primary role is healthy, as Kamal's barrier does)",
    },
};

export function readBoot(r: Reader, f: Field, argPath: Path): Record<string, unknown> | undefined {
    const m = r.map(f, BOOT, argPath);
    if (!m) return undefined;
    const out: Record<string, unknown> = {};
    r.put(out, "limit", argPath, m.get("limit"), (x, p) => {
        if (x.node.kind === "scalar" && typeof x.node.value === "string" && /%\s*$/.test(x.node.value)) return x.node.value.trim();
        return r.int(x, p);
    });
    r.put(out, "wait", argPath, m.get("wait"), (x, p) => r.num(x, p));
    return out;
}

/** Each role's boot dependencies, defaults applied. */
export function bootOrder(app: Pick<KamalAppConfig, "roles" | "primaryRole">): Record<string, string[]> {
    const primary = primaryRoleOf(app);
    const order: Record<string, string[]> = {};
    for (const [role, cfg] of Object.entries(app.roles)) {
        order[role] = cfg.bootAfter ?? (role === primary ? [] : [primary]);
    }
    return order;
}

/** bootAfter names other roles (checked even when other fields are wrong, to report everything at once). */
export function checkBootAfter(app: unknown, ctx: z.RefinementCtx): void {
    const roles = rolesOf(app).map(([name]) => name);
    for (const [role, cfg] of rolesOf(app)) {
        if (!Array.isArray(cfg.bootAfter)) continue;
        cfg.bootAfter.forEach((dep: unknown, i) => {
            const path = ["roles", role, "bootAfter", i];
            if (typeof dep !== "string") return;
            if (!roles.includes(dep)) problem(ctx, path, `unknown role; roles are: ${roles.join(", ")}`, dep);
            else if (dep === role) problem(ctx, path, "a role cannot boot after itself", dep);
        });
    }
}

/** No cycle through bootAfter (and the holds of paused hooks, given as `order`); self-dependencies are reported by checkBootAfter. */
export function checkBootCycle(order: Record<string, string[]>, ctx: z.RefinementCtx): void {
    const graph = Object.fromEntries(Object.entries(order).map(([r, deps]) => [r, deps.filter((d) => d !== r)]));
    const cycle = findCycle(graph);
    if (cycle) problem(ctx, ["roles"], `bootAfter forms a cycle: ${cycle.join(" -> ")}; remove one of these dependencies`);
}

function findCycle(graph: Record<string, string[]>): string[] | undefined {
    const state: Record<string, "visiting" | "done"> = {};
    const visit = (node: string, path: string[]): string[] | undefined => {
        if (state[node] === "done") return undefined;
        if (state[node] === "visiting") return [...path.slice(path.indexOf(node)), node];
        state[node] = "visiting";
        for (const next of graph[node] ?? []) {
            const cycle = visit(next, [...path, node]);
            if (cycle) return cycle;
        }
        state[node] = "done";
        return undefined;
    };
    for (const node of Object.keys(graph)) {
        const cycle = visit(node, []);
        if (cycle) return cycle;
    }
    return undefined;
}
