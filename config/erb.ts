/**
 * The small part of ERB that deploy.yml files use.
 *
 * Kamal renders deploy.yml with Ruby's ERB (trim mode "-") before parsing
 * the YAML. We do not run Ruby: we evaluate the forms people write to read
 * the deploying machine's environment, and reject any other Ruby code with
 * the file and line, so nothing is silently left unrendered.
 *
 * Supported inside `<%= ... %>` (and `-%>`):
 *   ENV["X"]  ENV['X']            the variable, or nothing when unset (as Ruby's nil)
 *   ENV.fetch("X")                the variable; an error when unset
 *   ENV.fetch("X", "default")     the variable, or the default
 *   A || B || "literal"           the first of these that is set
 * Also: `<%# comment %>` (renders nothing) and `<%%` (a literal `<%`).
 * Tags on a YAML comment line (`# ... <%= ... %>`) are dropped unevaluated:
 * whatever they render is commented out anyway.
 */

export interface ErbResult {
    text: string;
    /** Maps a 1-based line of the rendered text to the 1-based line of the source. */
    sourceLine: (renderedLine: number) => number;
    problems: { line: number; message: string }[];
    warnings: { line: number; message: string }[];
}

const SUPPORTED = `only <%= ENV["X"] %>, <%= ENV.fetch("X") %> and <%= ENV.fetch("X", "default") %> are supported`;

export function renderErb(source: string, env: Record<string, string | undefined>): ErbResult {
    const problems: ErbResult["problems"] = [];
    const warnings: ErbResult["warnings"] = [];
    let out = "";
    const outLines: number[] = [1];
    let srcLine = 1;

    const emitSource = (text: string) => {
        for (const ch of text) {
            out += ch;
            if (ch === "\n") {
                srcLine++;
                outLines.push(srcLine);
            }
        }
    };
    const emitValue = (text: string, line: number) => {
        for (const ch of text) {
            out += ch;
            if (ch === "\n") outLines.push(line);
        }
    };
    const skipSource = (text: string) => {
        for (const ch of text) if (ch === "\n") srcLine++;
    };

    let pos = 0;
    while (pos < source.length) {
        const open = source.indexOf("<%", pos);
        if (open < 0) {
            emitSource(source.slice(pos));
            break;
        }
        emitSource(source.slice(pos, open));
        const tagLine = srcLine;
        if (source.startsWith("<%%", open)) {
            emitValue("<%", tagLine);
            pos = open + 3;
            continue;
        }
        const close = source.indexOf("%>", open + 2);
        if (close < 0) {
            problems.push({ line: tagLine, message: "unterminated ERB tag: <% without a closing %>" });
            skipSource(source.slice(open));
            break;
        }
        const tag = source.slice(open, close + 2);
        let body = source.slice(open + 2, close);
        const trimAfter = body.endsWith("-");
        if (trimAfter) body = body.slice(0, -1);
        const trimBefore = body.startsWith("-");
        if (trimBefore) body = body.slice(1);
        pos = close + 2;
        skipSource(tag);
        if (trimAfter && source[pos] === "\n") {
            pos++;
            srcLine++;
        }
        if (trimBefore) {
            const lineStart = out.lastIndexOf("\n") + 1;
            if (/^[ \t]*$/.test(out.slice(lineStart))) out = out.slice(0, lineStart);
        }

        const lineStart = out.lastIndexOf("\n") + 1;
        const onCommentLine = /^\s*#/.test(out.slice(lineStart));
        if (onCommentLine || body.startsWith("#")) continue;
        // `<%-` opens a statement in trim mode (ERB has no `<%-=`): Ruby code either way.
        if (trimBefore || !body.startsWith("=")) {
            problems.push({ line: tagLine, message: `unsupported ERB ${oneLine(tag)}: Ruby code is not run; ${SUPPORTED}` });
            continue;
        }
        const expr = body.slice(1).trim();
        const result = evaluate(expr, env);
        if ("missing" in result) {
            problems.push({ line: tagLine, message: `ERB ${oneLine(tag)}: environment variable ${result.missing} is not set, and ENV.fetch has no default` });
            continue;
        }
        if ("error" in result) {
            problems.push({ line: tagLine, message: `unsupported ERB ${oneLine(tag)}: Ruby code is not run; ${SUPPORTED}` });
            continue;
        }
        if (result.value === undefined) {
            warnings.push({ line: tagLine, message: `ERB ${oneLine(tag)}: ${result.unset.join(", ")} ${result.unset.length > 1 ? "are" : "is"} not set; it renders as an empty string (as in Kamal)` });
        }
        emitValue(result.value ?? "", tagLine);
    }
    return {
        text: out,
        sourceLine: (renderedLine) => outLines[Math.min(Math.max(renderedLine, 1), outLines.length) - 1],
        problems,
        warnings,
    };
}

function oneLine(tag: string): string {
    const flat = tag.replace(/\s+/g, " ");
    return flat.length > 80 ? `${flat.slice(0, 77)}...` : flat;
}

type Evaluated = { value: string | undefined; unset: string[] } | { error: string } | { missing: string };

/** expr := term ('||' term)* ; term := ENV[str] | ENV.fetch(str[, literal]) | literal */
function evaluate(expr: string, env: Record<string, string | undefined>): Evaluated {
    const tokens = tokenize(expr);
    if ("error" in tokens) return tokens;
    const t = tokens.tokens;
    let i = 0;
    const unset: string[] = [];
    const peek = (v: string) => t[i] !== undefined && t[i].kind === "punct" && t[i].text === v;
    const expect = (v: string): boolean => {
        if (peek(v)) {
            i++;
            return true;
        }
        return false;
    };
    const literal = (): string | undefined => {
        const tok = t[i];
        if (tok && (tok.kind === "string" || tok.kind === "number")) {
            i++;
            return tok.text;
        }
        return undefined;
    };
    const term = (): { value: string | undefined } | { error: string } | { missing: string } => {
        const tok = t[i];
        if (!tok) return { error: "unsupported Ruby expression" };
        if (tok.kind === "string" || tok.kind === "number") {
            i++;
            return { value: tok.text };
        }
        if (tok.kind === "ident" && tok.text === "nil") {
            i++;
            return { value: undefined };
        }
        if (tok.kind !== "ident" || tok.text !== "ENV") return { error: "unsupported Ruby expression" };
        i++;
        if (expect("[")) {
            const name = t[i]?.kind === "string" ? t[i++].text : undefined;
            if (name === undefined || !expect("]")) return { error: "unsupported Ruby expression" };
            const value = env[name];
            if (value === undefined) unset.push(name);
            return { value };
        }
        if (expect(".") && t[i]?.kind === "ident" && t[i].text === "fetch") {
            i++;
            if (!expect("(")) return { error: "unsupported Ruby expression" };
            const name = t[i]?.kind === "string" ? t[i++].text : undefined;
            if (name === undefined) return { error: "unsupported Ruby expression" };
            let fallback: string | undefined;
            let hasFallback = false;
            if (expect(",")) {
                if (t[i]?.kind === "ident" && t[i].text === "nil") {
                    i++;
                } else {
                    fallback = literal();
                    if (fallback === undefined) return { error: "unsupported Ruby expression" };
                }
                hasFallback = true;
            }
            if (!expect(")")) return { error: "unsupported Ruby expression" };
            const value = env[name];
            if (value !== undefined) return { value };
            if (!hasFallback) return { missing: name };
            if (fallback === undefined) unset.push(name);
            return { value: fallback };
        }
        return { error: "unsupported Ruby expression" };
    };

    let value: string | undefined;
    let first = true;
    do {
        const r = term();
        if (!("value" in r)) return r;
        if (first || value === undefined) value = r.value;
        first = false;
    } while (expect("||"));
    if (i !== t.length) return { error: "unsupported Ruby expression" };
    return { value, unset };
}

type Token = { kind: "string" | "number" | "ident" | "punct"; text: string };

function tokenize(expr: string): { tokens: Token[] } | { error: string } {
    const tokens: Token[] = [];
    let i = 0;
    while (i < expr.length) {
        const c = expr[i];
        if (/\s/.test(c)) {
            i++;
            continue;
        }
        if (c === '"' || c === "'") {
            let text = "";
            let j = i + 1;
            for (; j < expr.length && expr[j] !== c; j++) {
                if (expr[j] === "\\" && j + 1 < expr.length) {
                    const next = expr[++j];
                    if (c === "'") text += next === "'" || next === "\\" ? next : `\\${next}`;
                    else text += next === "n" ? "\n" : next === "t" ? "\t" : next;
                    continue;
                }
                if (c === '"' && expr[j] === "#" && expr[j + 1] === "{") return { error: "string interpolation (#{...}) is not supported" };
                text += expr[j];
            }
            if (j >= expr.length) return { error: "unterminated string" };
            tokens.push({ kind: "string", text });
            i = j + 1;
            continue;
        }
        const num = /^-?\d+(\.\d+)?/.exec(expr.slice(i));
        if (num) {
            tokens.push({ kind: "number", text: num[0] });
            i += num[0].length;
            continue;
        }
        const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(expr.slice(i));
        if (ident) {
            tokens.push({ kind: "ident", text: ident[0] });
            i += ident[0].length;
            continue;
        }
        if (expr.startsWith("||", i)) {
            tokens.push({ kind: "punct", text: "||" });
            i += 2;
            continue;
        }
        if ("[](),.".includes(c)) {
            tokens.push({ kind: "punct", text: c });
            i++;
            continue;
        }
        return { error: "unsupported Ruby expression" };
    }
    return { tokens };
}
