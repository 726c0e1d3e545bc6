/**
 * KamalApp under Pulumi's mocks: every resource it registers, with its inputs,
 * its dependencies and its aliases (read off the mock monitor's register
 * requests, where `dependsOn` and aliases show up).
 */
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { KamalApp, KamalAppArgs } from "../../components/KamalApp";

export interface Registered {
    type: string;
    name: string;
    inputs: Record<string, any>;
    /** Dependencies as `ShortType::name`. */
    deps: string[];
    /** The types of its aliases (former types, same name and parent). */
    aliases: string[];
}

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
export const isSecret = (v: unknown) => typeof v === "object" && v !== null && (v as any)[SECRET_SIG] === "1b47061264138c4ac30d75fd1eb44270";
export const reveal = (v: any) => (isSecret(v) ? v.value : v);

/** `urn:pulumi:stack::proj::a:b:Parent$pkg:mod:Type::name` -> `Type::name`. */
const short = (urn: string) => {
    const [, , types, name] = urn.split("::");
    return `${types.split("$").pop()!.split(":").pop()}::${name}`;
};

/** What the mock engine registered since the current test began. */
export let registered: Registered[] = [];

/** Installs fresh mocks before each test of the calling file. */
export function useMockEngine(): void {
    beforeEach(async () => {
        registered = [];
        const pending = new Map<string, { deps: string[]; aliases: string[] }>();
        await pulumi.runtime.setMocks({
            newResource: (args) => {
                const req = pending.get(`${args.type}::${args.name}`);
                registered.push({ type: args.type, name: args.name, inputs: args.inputs, deps: req?.deps ?? [], aliases: req?.aliases ?? [] });
                return { id: args.custom ? `${args.name}-id` : undefined, state: args.inputs };
            },
            call: () => ({}),
        }, "project", "stack", false);
        // The mock API does not pass dependencies on; the register request carries them.
        const monitor = pulumi.runtime.getMonitor() as any;
        const register = monitor.registerResource.bind(monitor);
        monitor.registerResource = (req: any, callback: unknown) => {
            pending.set(`${req.getType()}::${req.getName()}`, {
                deps: req.getDependenciesList().map(short),
                aliases: req.getAliasesList().map((a: any) => (a.hasSpec() ? a.getSpec().getType() : a.getUrn())),
            });
            return register(req, callback);
        };
    });
}

export const settled = (o: pulumi.Output<unknown>) => new Promise<void>((resolve) => o.apply(() => resolve()));

/** Builds the app and waits until every resource it made is registered. */
export async function deploy(name: string, args: KamalAppArgs): Promise<KamalApp> {
    const app = new KamalApp(name, args);
    const outputs: pulumi.Output<unknown>[] = [app.urn];
    for (const role of Object.values(app.roles)) {
        outputs.push(role.urn, ...[...role.containers, ...role.switches, ...role.hooks].map((r) => r.urn));
    }
    for (const p of Object.values(app.proxies)) outputs.push(p.urn, p.instance.urn);
    await Promise.all(outputs.map(settled));
    return app;
}

export const ofType = (type: string) => registered.filter((r) => r.type === `pulumi-nodejs:dynamic/kamal:${type}`);
export const named = (type: string, name: string) => {
    const r = ofType(type).find((x) => x.name === name);
    assert.ok(r, `no ${type} ${name}; have ${ofType(type).map((x) => x.name).join(", ")}`);
    return r;
};
export const names = (type: string) => ofType(type).map((r) => r.name).sort();
export const depsOf = (type: string, name: string) => [...named(type, name).deps].sort();

export const base = (roles: KamalAppArgs["roles"], extra: Partial<KamalAppArgs> = {}): KamalAppArgs => ({
    service: "shop",
    image: "registry.example.com/shop:v7",
    roles,
    ...extra,
});
