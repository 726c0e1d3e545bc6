/**
 * What Pulumi serializes into state for each dynamic resource: a few lines
 * that load the real provider from the installed pulumi-kamal package at run
 * time. So provider fixes reach refresh and destroy of old stacks, and a new
 * package version never shows up as a diff on every resource.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { ProviderKind } from "./index";

/** One stub per kind: Pulumi caches a provider's serialized code by object identity, so 48 resources serialize it once. */
const stubs = new Map<ProviderKind, pulumi.dynamic.ResourceProvider>();

export function providerStub(kind: ProviderKind): pulumi.dynamic.ResourceProvider {
    let stub = stubs.get(kind);
    if (!stub) stubs.set(kind, (stub = makeStub(kind)));
    return stub;
}

function makeStub(kind: ProviderKind): pulumi.dynamic.ResourceProvider {
    // Everything below runs in the provider process. Resolve from the program's
    // directory (the process cwd): its node_modules, or the package itself when
    // the program lives inside pulumi-kamal's own repository.
    const load = (): pulumi.dynamic.ResourceProvider => {
        const path = require("path");
        const from = require("module").createRequire(path.join(process.cwd(), "package.json"));
        return from("pulumi-kamal/provider").providers[kind];
    };
    return {
        check: (olds, news) => { const p = load(); return p.check ? p.check(olds, news) : Promise.resolve({ inputs: news }); },
        diff: (id, olds, news) => { const p = load(); return p.diff ? p.diff(id, olds, news) : Promise.resolve({}); },
        create: (inputs) => load().create(inputs),
        read: (id, props) => { const p = load(); return p.read ? p.read(id, props) : Promise.resolve({ id, props }); },
        update: (id, olds, news) => { const p = load(); return p.update ? p.update(id, olds, news) : Promise.resolve({ outs: news }); },
        delete: (id, props) => { const p = load(); return p.delete ? p.delete(id, props) : Promise.resolve(); },
    };
}
