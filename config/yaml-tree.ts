/**
 * deploy.yml as a tree that remembers where every value came from.
 *
 * Kamal reads its YAML with Psych (YAML 1.1: `yes`/`no` booleans, `1_000`
 * numbers, `<<` merge keys, anchors). We parse with `yaml` in 1.1 mode and
 * keep each node's file and line so every error can point at its source,
 * even after a destination file was merged over the base file.
 */
import { Document, LineCounter, Node as YamlNode, isAlias, isMap, isPair, isScalar, isSeq, parseDocument } from "yaml";

export interface Origin {
    /** The file as shown to the user (relative to cwd when inside it). */
    file: string;
    /** 1-based line in the source file (before ERB rendering). */
    line: number;
}

export type Scalar = string | number | boolean | null;

export type TreeNode =
    | { kind: "map"; entries: MapEntry[]; origin: Origin }
    | { kind: "seq"; items: TreeNode[]; origin: Origin }
    | { kind: "scalar"; value: Scalar; origin: Origin };

export interface MapEntry {
    key: string;
    keyOrigin: Origin;
    value: TreeNode;
}

export type MapNode = Extract<TreeNode, { kind: "map" }>;
export type SeqNode = Extract<TreeNode, { kind: "seq" }>;
export type ScalarNode = Extract<TreeNode, { kind: "scalar" }>;

export interface ParsedYaml {
    root?: TreeNode;
    problems: { origin: Origin; message: string }[];
}

/**
 * Parse rendered YAML text. `sourceLine` maps a 1-based line of the rendered
 * text back to the line of the original file (ERB output may add lines).
 */
export function parseYamlTree(text: string, file: string, sourceLine: (renderedLine: number) => number = (l) => l): ParsedYaml {
    const lineCounter = new LineCounter();
    const doc = parseDocument(text, { version: "1.1", lineCounter, uniqueKeys: true, prettyErrors: false });
    const at = (offset: number | undefined): Origin => ({ file, line: sourceLine(offset === undefined ? 1 : lineCounter.linePos(offset).line) });
    const problems: ParsedYaml["problems"] = [];
    for (const error of doc.errors) {
        // One error a line: the parser's later errors on a line follow from its first.
        const origin = at(error.pos[0]);
        if (problems.some((p) => p.origin.line === origin.line)) continue;
        problems.push({ origin, message: `YAML syntax error: ${error.message.split("\n")[0]}` });
    }
    if (problems.length > 0) return { problems };
    if (doc.contents === null) return { problems };
    const root = convert(doc, doc.contents as YamlNode, at, problems, new Set());
    return { root, problems };
}

function convert(
    doc: Document,
    node: YamlNode | null | undefined,
    at: (offset: number | undefined) => Origin,
    problems: ParsedYaml["problems"],
    resolving: Set<unknown>,
    fallback?: Origin,
): TreeNode {
    if (node === null || node === undefined) return { kind: "scalar", value: null, origin: fallback ?? at(undefined) };
    if (isAlias(node)) {
        const target = node.resolve(doc);
        if (!target || resolving.has(target)) {
            problems.push({ origin: at(node.range?.[0]), message: `YAML alias *${node.source} cannot be resolved` });
            return { kind: "scalar", value: null, origin: at(node.range?.[0]) };
        }
        resolving.add(target);
        try {
            return convert(doc, target as YamlNode, at, problems, resolving);
        } finally {
            resolving.delete(target);
        }
    }
    const origin = at(node.range?.[0]);
    if (isScalar(node)) {
        let value = node.value as unknown;
        // Psych (Kamal's YAML) reads y/Y/n/N as strings; the `yaml` 1.1 schema reads them as booleans.
        if (typeof value === "boolean" && node.type === "PLAIN" && typeof node.source === "string" && /^[yYnN]$/.test(node.source)) {
            value = node.source;
        }
        if (value === undefined) value = null;
        if (typeof value === "bigint") value = Number(value);
        if (value instanceof Date) value = String(node.source ?? value.toISOString());
        if (value !== null && typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
            value = String(node.source ?? value);
        }
        return { kind: "scalar", value: value as Scalar, origin };
    }
    if (isSeq(node)) {
        return { kind: "seq", items: node.items.map((item) => convert(doc, item as YamlNode, at, problems, resolving, origin)), origin };
    }
    if (isMap(node)) {
        const explicit: MapEntry[] = [];
        const merged: MapEntry[] = [];
        for (const pair of node.items) {
            if (!isPair(pair)) continue;
            const keyNode = pair.key as YamlNode | null;
            const keyOrigin = keyNode && "range" in keyNode && keyNode.range ? at(keyNode.range[0]) : origin;
            if (isScalar(keyNode) && typeof keyNode.value === "symbol") {
                // `<<: *anchor` or `<<: [*a, *b]`: earlier sources win, explicit keys win over all.
                const source = convert(doc, pair.value as YamlNode, at, problems, resolving, keyOrigin);
                const sources = source.kind === "seq" ? source.items : [source];
                for (const s of sources) {
                    if (s.kind !== "map") {
                        problems.push({ origin: s.origin, message: "a YAML merge key (<<) needs a map or a list of maps" });
                        continue;
                    }
                    for (const entry of s.entries) {
                        if (!merged.some((m) => m.key === entry.key)) merged.push(entry);
                    }
                }
                continue;
            }
            let key: string;
            if (isScalar(keyNode)) key = String(keyNode.value);
            else if (keyNode === null) key = "";
            else {
                problems.push({ origin: keyOrigin, message: "map keys must be plain values, not lists or maps" });
                continue;
            }
            explicit.push({ key, keyOrigin, value: convert(doc, pair.value as YamlNode, at, problems, resolving, keyOrigin) });
        }
        const entries = [...explicit, ...merged.filter((m) => !explicit.some((e) => e.key === m.key))];
        return { kind: "map", entries, origin };
    }
    problems.push({ origin, message: "unsupported YAML node" });
    return { kind: "scalar", value: null, origin };
}

/**
 * Kamal merges `config/deploy.DEST.yml` over `config/deploy.yml` with
 * ActiveSupport's `deep_merge!`: maps merge key by key, recursively; any
 * other value (lists included, and an explicit null) replaces the base value.
 */
export function deepMerge(base: TreeNode, over: TreeNode): TreeNode {
    if (base.kind !== "map" || over.kind !== "map") return over;
    const entries: MapEntry[] = base.entries.map((e) => ({ ...e }));
    for (const entry of over.entries) {
        const i = entries.findIndex((e) => e.key === entry.key);
        if (i >= 0) entries[i] = { key: entry.key, keyOrigin: entry.keyOrigin, value: deepMerge(entries[i].value, entry.value) };
        else entries.push(entry);
    }
    return { kind: "map", entries, origin: base.origin };
}

export function entry(map: MapNode, key: string): MapEntry | undefined {
    return map.entries.find((e) => e.key === key);
}

/** The plain JS value of a node (for messages). */
export function plain(node: TreeNode): unknown {
    switch (node.kind) {
        case "scalar":
            return node.value;
        case "seq":
            return node.items.map(plain);
        case "map":
            return Object.fromEntries(node.entries.map((e) => [e.key, plain(e.value)]));
    }
}
