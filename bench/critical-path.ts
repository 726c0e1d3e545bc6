/**
 * The critical path of a deploy, from the provider's own trace (see
 * provider/trace.ts): the longest chain of resource operations the
 * dependency graph forces to run one after another. Pure functions, so the
 * benchmark's central figure is unit-tested.
 */
import type { TraceEvent } from "../provider/trace";

export interface GraphNode {
    id: string;
    /** How long the operation took in this run (0 when it did not run). */
    ms: number;
    deps: string[];
}

/** Longest path through a DAG by node weights. Throws on unknown deps and cycles. */
export function longestPath(nodes: GraphNode[]): { ms: number; chain: string[] } {
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const best = new Map<string, { ms: number; chain: string[] }>();
    const visiting = new Set<string>();
    const visit = (id: string): { ms: number; chain: string[] } => {
        const done = best.get(id);
        if (done) return done;
        const n = byId.get(id);
        if (!n) throw new Error(`unknown node ${id}`);
        if (visiting.has(id)) throw new Error(`cycle through ${id}`);
        visiting.add(id);
        let before = { ms: 0, chain: [] as string[] };
        for (const d of n.deps) {
            const p = visit(d);
            if (p.ms > before.ms) before = p;
        }
        visiting.delete(id);
        const r = { ms: before.ms + n.ms, chain: [...before.chain, id] };
        best.set(id, r);
        return r;
    };
    let top = { ms: 0, chain: [] as string[] };
    for (const n of nodes) {
        const p = visit(n.id);
        if (p.ms > top.ms) top = p;
    }
    return top;
}

/** One role of the app, as KamalRole wires it (before-traffic hooks, no boot.limit). */
export interface RoleShape {
    name: string;
    proxied: boolean;
    /** A before-traffic post-app-boot hook, on the first host or on every host. */
    hook?: "primary" | "all";
    /** Roles whose gate (hook, else first host's container) this role waits for. */
    bootAfter: string[];
}

/** The resource graph of one app (KamalApp/KamalRole's dependsOn), with the trace's operation times. */
export function deployGraph(roles: RoleShape[], hosts: string[], events: TraceEvent[]): GraphNode[] {
    const ops = events.filter((e) => e.step === "create" || e.step === "update");
    const opMs = (resource: string, host: string) =>
        ops.filter((e) => e.resource === resource && e.host === host).reduce((a, e) => a + (e.end - e.start), 0);
    const byName = new Map(roles.map((r) => [r.name, r]));
    const hookId = (r: RoleShape, h: string) => (r.hook === "all" ? `hook/${r.name}@${h}` : `hook/${r.name}`);
    const gate = (name: string): string[] => {
        const r = byName.get(name);
        if (!r) throw new Error(`bootAfter names unknown role ${name}`);
        if (r.hook === "all") return hosts.map((h) => hookId(r, h));
        return [r.hook ? hookId(r, hosts[0]) : `container/${name}@${hosts[0]}`];
    };
    const nodes: GraphNode[] = [];
    if (roles.some((r) => r.proxied)) for (const h of hosts) nodes.push({ id: `proxy@${h}`, ms: opMs("proxy/", h), deps: [] });
    for (const r of roles) {
        const after = r.bootAfter.flatMap(gate);
        for (const h of hosts) {
            nodes.push({ id: `container/${r.name}@${h}`, ms: opMs(`container/${r.name}`, h), deps: [...(r.proxied ? [`proxy@${h}`] : []), ...after] });
        }
        if (r.hook === "primary") nodes.push({ id: hookId(r, hosts[0]), ms: opMs(`hook/${r.name}`, hosts[0]), deps: [`container/${r.name}@${hosts[0]}`] });
        if (r.hook === "all") for (const h of hosts) nodes.push({ id: hookId(r, h), ms: opMs(`hook/${r.name}`, h), deps: [`container/${r.name}@${h}`] });
        for (const h of hosts) {
            nodes.push({ id: `switch/${r.name}@${h}`, ms: opMs(`switch/${r.name}`, h), deps: [`container/${r.name}@${h}`, ...(r.hook ? [hookId(r, h)] : [])] });
        }
    }
    return nodes;
}

export interface CriticalPath {
    /** Longest create/update chain plus the longest delete (the engine deletes replaced resources after all creates). */
    ms: number;
    chain: string[];
    deleteMs: number;
    /** The chain's steps in order: `container/web@h pull 120`... */
    steps: { node: string; step: string; ms: number }[];
}

const STEPS = ["pull", "env", "start", "healthy", "hook", "switch", "retire"];

export function criticalPath(roles: RoleShape[], hosts: string[], events: TraceEvent[]): CriticalPath {
    const path = longestPath(deployGraph(roles, hosts, events));
    const deleteMs = Math.max(0, ...events.filter((e) => e.step === "delete").map((e) => e.end - e.start));
    const steps = path.chain.flatMap((node) => {
        const [resource, host] = node.startsWith("proxy@") ? ["proxy/", node.slice(6)] : node.split("@");
        const on = host ?? hosts[0];
        return events.filter((e) => e.resource === resource && e.host === on && STEPS.includes(e.step))
            .sort((a, b) => a.start - b.start)
            .map((e) => ({ node, step: e.step, ms: e.end - e.start }));
    });
    return { ms: path.ms + deleteMs, chain: path.chain, deleteMs, steps };
}
