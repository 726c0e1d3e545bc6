/**
 * Reading deploy.yml nodes into KamalApp arguments: typed reads that report
 * `file:line: key.path: problem`, and a record of where each argument came
 * from, so the schema's issues are reported at the YAML lines they are about.
 */
import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { describeValue, formatPath } from "../format";
import { issueText } from "../issues";
import type { Env, SecretStore } from "../secrets";
import { didYouMean } from "../suggest";
import { toYamlKey, yamlWords } from "../yaml-keys";
import { MapEntry, Origin, plain, TreeNode } from "../yaml-tree";

export type Path = (string | number)[];

export interface Problem {
    origin?: Origin;
    path: string;
    message: string;
}

export interface Field {
    node: TreeNode;
    /** The line to blame: the key's line for map entries, the item's for list items. */
    origin: Origin;
    ypath: Path;
}

/** Keys of one YAML map: ours, and Kamal's that we do not implement (with what we do instead). */
export interface KeySpec {
    ours: readonly string[];
    kamal?: Readonly<Record<string, string>>;
    /** Allow `x-*` extension keys (Kamal allows them at the root only). */
    extensions?: boolean;
}

/** How `Reader.fields` reads a plain field. */
export type PlainKind = "str" | "num" | "int" | "bool" | "strList" | "strMap";

export class Reader {
    readonly problems: Problem[] = [];
    readonly warnings: Problem[] = [];
    /** Arg paths already reported by us: zod's issues at or around them are redundant. */
    readonly errored: Path[] = [];
    /** Where each arg came from, to turn zod's issue paths back into YAML lines and keys. */
    readonly origins = new Map<string, { origin?: Origin; ypath: Path }>();
    secrets?: SecretStore;

    constructor(
        readonly root: string,
        readonly cwd: string,
        readonly env: Env,
        readonly provided: Record<string, pulumi.Input<string>> | undefined,
        readonly destination: string | undefined,
    ) {}

    // ---- reporting -------------------------------------------------------

    fail(origin: Origin | undefined, ypath: Path, message: string, argPath?: Path): void {
        this.problems.push({ origin, path: formatPath(ypath), message });
        if (argPath) this.errored.push(argPath);
    }

    warnAt(origin: Origin | undefined, ypath: Path, message: string): void {
        this.warnings.push({ origin, path: formatPath(ypath), message });
    }

    hasProblems(): boolean {
        return this.problems.length > 0;
    }

    record(argPath: Path, origin: Origin | undefined, ypath: Path): void {
        this.origins.set(JSON.stringify(argPath), { origin, ypath });
    }

    /** The secrets files in the order they are read, as shown in messages. */
    secretFiles(): string[] {
        return this.secrets ? this.secrets.candidates().map((f) => this.secrets!.display(f)) : [];
    }

    report(fileOrder: string[]): string[] {
        return lines(this.problems, fileOrder);
    }

    warningLines(fileOrder: string[]): string[] {
        return lines(this.warnings, fileOrder);
    }

    // ---- node helpers ----------------------------------------------------

    typeError(f: Field, expected: string, argPath?: Path): undefined {
        this.fail(f.origin, f.ypath, `should be ${expected} (got ${describeValue(plain(f.node))})`, argPath);
        return undefined;
    }

    isNull(f: Field): boolean {
        return f.node.kind === "scalar" && f.node.value === null;
    }

    /** The keys of a map written without a value (`privileged:`), which map() leaves out. */
    valueless(f: Field): MapEntry[] {
        return f.node.kind === "map" ? f.node.entries.filter((e) => e.value.kind === "scalar" && e.value.value === null) : [];
    }

    /** The map's entries as fields (null values are absent), after checking its keys. */
    map(f: Field, spec: KeySpec | undefined, argPath?: Path): Map<string, Field> | undefined {
        if (f.node.kind !== "map") return this.typeError(f, "a map", argPath);
        const out = new Map<string, Field>();
        const valid = spec ? [...spec.ours, ...Object.keys(spec.kamal ?? {})] : [];
        for (const e of f.node.entries) {
            const child: Field = { node: e.value, origin: e.keyOrigin, ypath: [...f.ypath, e.key] };
            if (spec) {
                if (spec.extensions && e.key.startsWith("x-")) continue;
                if (spec.kamal && Object.prototype.hasOwnProperty.call(spec.kamal, e.key)) {
                    this.warnAt(e.keyOrigin, child.ypath, spec.kamal[e.key]);
                    continue;
                }
                if (!spec.ours.includes(e.key)) {
                    this.fail(e.keyOrigin, child.ypath, `unknown key${didYouMean(e.key, valid)}`);
                    continue;
                }
            }
            if (this.isNull(child)) continue;
            out.set(e.key, child);
        }
        return out;
    }

    items(f: Field, argPath?: Path): Field[] | undefined {
        if (f.node.kind !== "seq") return this.typeError(f, "a list", argPath);
        return f.node.items.map((node, i) => ({ node, origin: node.origin, ypath: [...f.ypath, i] }));
    }

    /** Kamal accepts "stringish" scalars (numbers, booleans) where it wants strings. */
    str(f: Field, argPath?: Path): string | undefined {
        if (f.node.kind === "scalar" && f.node.value !== null) return String(f.node.value);
        return this.typeError(f, "a string", argPath);
    }

    num(f: Field, argPath?: Path): number | undefined {
        if (f.node.kind === "scalar") {
            if (typeof f.node.value === "number") return f.node.value;
            if (typeof f.node.value === "string" && /^\s*-?\d+(\.\d+)?\s*$/.test(f.node.value)) return Number(f.node.value);
        }
        return this.typeError(f, "a number", argPath);
    }

    int(f: Field, argPath?: Path): number | undefined {
        const n = this.num(f, argPath);
        if (n !== undefined && !Number.isInteger(n)) return this.typeError(f, "a whole number", argPath);
        return n;
    }

    bool(f: Field, argPath?: Path): boolean | undefined {
        if (f.node.kind === "scalar" && typeof f.node.value === "boolean") return f.node.value;
        return this.typeError(f, "true or false", argPath);
    }

    oneOf(f: Field, argPath: Path, allowed: readonly string[]): string | undefined {
        const s = this.str(f, argPath);
        if (s === undefined) return undefined;
        if (allowed.includes(s)) return s;
        this.fail(f.origin, f.ypath, `should be one of ${allowed.join(", ")}${didYouMean(s, allowed)} (got ${describeValue(s)})`, argPath);
        return undefined;
    }

    strList(f: Field, argPath: Path): string[] | undefined {
        const items = this.items(f, argPath);
        if (!items) return undefined;
        const out: string[] = [];
        items.forEach((item, i) => {
            const s = this.str(item, [...argPath, i]);
            if (s !== undefined) {
                this.record([...argPath, out.length], item.origin, item.ypath);
                out.push(s);
            }
        });
        return out;
    }

    strMap(f: Field, argPath: Path): Record<string, string> | undefined {
        const entries = this.map(f, undefined, argPath);
        if (!entries) return undefined;
        const out: Record<string, string> = {};
        // A key without a value is an error in a string map.
        for (const e of this.valueless(f)) this.fail(e.keyOrigin, [...f.ypath, e.key], "should be a string (got nothing)", [...argPath, e.key]);
        for (const [k, child] of entries) {
            const s = this.str(child, [...argPath, k]);
            if (s === undefined) continue;
            out[k] = s;
            this.record([...argPath, k], child.origin, child.ypath);
        }
        return out;
    }

    /** Set `target[key]` from a field, recording where it came from. */
    put<T>(target: Record<string, unknown>, key: string, argPath: Path, f: Field | undefined, read: (f: Field, argPath: Path) => T | undefined): T | undefined {
        if (!f) return undefined;
        const value = read(f, [...argPath, key]);
        if (value === undefined) return undefined;
        target[key] = value;
        this.record([...argPath, key], f.origin, f.ypath);
        return value;
    }

    /**
     * A map of plain fields, each read as its kind and stored under its
     * camelCase name (`max_request_body` -> `maxRequestBody`); other keys are errors.
     */
    fields(f: Field, argPath: Path, kinds: Readonly<Record<string, PlainKind>>): Record<string, unknown> | undefined {
        const m = this.map(f, { ours: Object.keys(kinds) }, argPath);
        if (!m) return undefined;
        const out: Record<string, unknown> = {};
        for (const [key, kind] of Object.entries(kinds)) {
            this.put(out, key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), argPath, m.get(key), (x, p) => this[kind](x, p));
        }
        return out;
    }

    /** A secret's value (as a Pulumi secret), or undefined after reporting why not. */
    secret(name: string, f: Field, argPath: Path): pulumi.Output<string> | undefined {
        const r = this.secrets!.get(name);
        if ("value" in r) return r.value;
        if ("error" in r) this.fail(f.origin, f.ypath, r.error, argPath);
        else this.errored.push(argPath);
        return undefined;
    }

    // ---- zod -------------------------------------------------------------

    /** Run the one schema; report its issues at the lines their fields came from. */
    validate(schema: z.ZodType, args: Record<string, unknown>): void {
        const result = schema.safeParse(args, { reportInput: true });
        if (result.success) return;
        for (const issue of result.error.issues) {
            const issuePath = issue.path.map((k) => (typeof k === "symbol" ? String(k) : k)) as Path;
            if (issuePath.length > 0 && this.errored.some((p) => startsWith(p, issuePath) || startsWith(issuePath, p))) continue;
            const { origin, ypath } = this.locate(issuePath);
            this.problems.push({ origin, path: formatPath(ypath), message: issueText(issue, yamlWords) });
        }
    }

    locate(argPath: Path): { origin?: Origin; ypath: Path } {
        for (let n = argPath.length; n >= 0; n--) {
            const rec = this.origins.get(JSON.stringify(argPath.slice(0, n)));
            if (rec) return { origin: rec.origin, ypath: [...rec.ypath, ...argPath.slice(n).map(toYamlKey)] };
        }
        return { ypath: argPath.map(toYamlKey) };
    }
}

export function lines(problems: Problem[], fileOrder: string[]): string[] {
    const rank = (p: Problem) => {
        if (!p.origin) return [fileOrder.length + 1, 0];
        const i = fileOrder.indexOf(p.origin.file);
        return [i < 0 ? fileOrder.length : i, p.origin.line];
    };
    const sorted = fileOrder.length > 0
        ? [...problems].sort((a, b) => {
              const [fa, la] = rank(a);
              const [fb, lb] = rank(b);
              return fa - fb || la - lb;
          })
        : problems;
    const out: string[] = [];
    for (const p of sorted) {
        const where = p.origin ? `${p.origin.file}:${p.origin.line}: ` : "";
        const text = `${where}${p.path ? `${p.path}: ` : ""}${p.message}`;
        if (!out.includes(text)) out.push(text);
    }
    return out;
}

export function startsWith(p: Path, prefix: Path): boolean {
    return prefix.length <= p.length && prefix.every((k, i) => p[i] === k);
}
