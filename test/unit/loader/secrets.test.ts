/** Kamal's secrets files: dotenv parsing, command substitution, file precedence. */
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { CommandRunner, parseDotenv, SecretStore, shellEscape, shellSplit } from "../../../config/secrets";
import { fixture, load, reveal, secret, testEnv } from "./helpers";

/** A runner that records commands and answers from a table. */
function fakeRunner(answers: Record<string, string | { error: string }> = {}) {
    const calls: string[] = [];
    const answer = (key: string) => {
        calls.push(key);
        const a = answers[key];
        if (a === undefined) return { error: `exited with status 127` };
        return typeof a === "string" ? { stdout: a } : a;
    };
    const runner: CommandRunner = {
        shell: (command) => answer(`sh: ${command}`),
        exec: (program, args) => answer(`exec: ${[program, ...args].join(" | ")}`),
    };
    return { runner, calls };
}

const parse = (source: string, env: Record<string, string> = {}, answers: Record<string, string | { error: string }> = {}) => {
    const fake = fakeRunner(answers);
    const result = parseDotenv(source, env, fake.runner);
    return { values: Object.fromEntries(result.values), problems: result.problems, calls: fake.calls };
};

describe("parseDotenv (Kamal's secrets format)", () => {
    it("reads unquoted, quoted, exported and colon-separated values; skips comments", () => {
        const r = parse(
            [
                "# a comment",
                "",
                "A=one   # comment",
                "B = spaced",
                "C='single $X $(cmd) \\n'",
                'D="double \\"q\\" \\n and \\t"',
                "export E=exported",
                "F: colon",
                "G=",
                "dotted.key=ok",
                "H=abc#not-a-comment-in-dotenv",
            ].join("\r\n"),
        );
        assert.deepEqual(r.problems, []);
        assert.deepEqual(r.values, {
            A: "one",
            B: "spaced",
            C: "single $X $(cmd) \\n",
            D: 'double "q" \n and t',
            E: "exported",
            F: "colon",
            G: "",
            "dotted.key": "ok",
            H: "abc",
        });
    });

    it("keeps double-quoted values across lines; DOTENV_LINEBREAK_MODE=legacy also expands \\n", () => {
        assert.deepEqual(parse('K="one\ntwo"\n').values, { K: "one\ntwo" });
        assert.deepEqual(parse('DOTENV_LINEBREAK_MODE=legacy\nK="a\\nb"\n').values, { DOTENV_LINEBREAK_MODE: "legacy", K: "a\nb" });
    });

    it("expands $VAR and ${VAR} from earlier keys, then the environment, else empty; \\$ is literal", () => {
        const r = parse("A=file\nB=$A-${A}\nC=$ENV_ONLY\nD=$NOWHERE.\nA2=$A\nE=\\$A\nA=later\nF=$A", { ENV_ONLY: "env", A: "env-a" });
        assert.deepEqual(r.values, { A: "later", B: "file-file", C: "env", D: ".", A2: "file", E: "$A", F: "later" });
    });

    it("runs $(command) with variables substituted first, and drops one trailing newline", () => {
        const r = parse("USER_NAME=alice\nK=$(cat /keys/$USER_NAME)\nN=$(echo $(echo x))\nE=\\$(not run)", {}, {
            "sh: cat /keys/alice": "key\n\n",
            "sh: echo $(echo x)": "x\n",
        });
        assert.deepEqual(r.values, { USER_NAME: "alice", K: "key\n", N: "x", E: "$(not run)" });
        assert.deepEqual(r.calls, ["sh: cat /keys/alice", "sh: echo $(echo x)"]);
    });

    it("substitutes variables in a command's output too, as Kamal's dotenv does", () => {
        assert.deepEqual(parse("K=$(printf)", { HOME: "/home/u" }, { "sh: printf": "a$HOME" }).values, { K: "a/home/u" });
    });

    it("reports a failing command by key and line, never its output, and does not run commands that use it", () => {
        const r = parse("OK=1\nBAD=$(false)\nUSES=$(echo $BAD)\nAFTER=2", {}, { "sh: false": { error: "exited with status 1" } });
        assert.deepEqual(r.values, { OK: "1", AFTER: "2" });
        assert.deepEqual(r.problems, [
            { line: 2, message: "BAD: its $(...) command exited with status 1" },
            { line: 3, message: "USES: not run: it uses $BAD, which could not be read" },
        ]);
    });

    it("rejects `export NAME` for a name not defined above", () => {
        assert.deepEqual(parse("A=1\nexport A\nexport B\n").problems, [{ line: 3, message: 'B: "export B" without a value, and B is not defined above' }]);
    });

    it("runs kamal secrets fetch with its arguments and extracts in-process, as Kamal inlines them", () => {
        const json = '{"Vault/Item/DB_PASSWORD":"p w\\"d","API_KEY":"k"}';
        const r = parse(
            [
                'SECRETS=$(kamal secrets fetch --adapter 1password --account acme --from "Vault/Item" DB_PASSWORD API_KEY)',
                "DB_PASSWORD=$(kamal secrets extract DB_PASSWORD $SECRETS)",
                "API_KEY=$(kamal secrets extract API_KEY ${SECRETS})",
                "MISSING=$(kamal secrets extract NOPE $SECRETS)",
            ].join("\n"),
            {},
            { "exec: kamal | secrets | fetch | --adapter | 1password | --account | acme | --from | Vault/Item | DB_PASSWORD | API_KEY": `${json}\n` },
        );
        assert.deepEqual(r.values, { SECRETS: shellEscape(json), DB_PASSWORD: 'p w"d', API_KEY: "k" });
        assert.deepEqual(r.problems, [{ line: 4, message: "MISSING: command $(kamal secrets extract NOPE ...): could not find secret NOPE" }]);
    });
});

describe("shellSplit / shellEscape", () => {
    it("split words as a POSIX shell does", () => {
        assert.deepEqual(shellSplit(`a 'b c' "d \\"e\\" \\x" f\\ g ''`), { words: ["a", "b c", 'd "e" \\x', "f g", ""] });
        assert.deepEqual(shellSplit(`a 'b`), { error: "unmatched quote at 2" });
    });

    it("escape any string so it splits back to itself", () => {
        for (const s of ["", "plain", "with space", `{"json":"va'l\\"ue"}`, "multi\nline", "$HOME `x` *"]) {
            assert.deepEqual(shellSplit(shellEscape(s)), { words: [s] }, s);
        }
    });
});

describe("SecretStore", () => {
    let root: string;
    beforeEach(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "pk-secrets-"));
        fs.mkdirSync(path.join(root, ".kamal"));
    });
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));
    const write = (name: string, text: string) => fs.writeFileSync(path.join(root, ".kamal", name), text);
    const store = (extra: Partial<ConstructorParameters<typeof SecretStore>[0]> = {}) =>
        new SecretStore({ root, cwd: root, env: {}, runner: fakeRunner().runner, ...extra });
    const value = async (s: SecretStore, name: string) => {
        const r = s.get(name);
        assert.ok("value" in r, JSON.stringify(r));
        return reveal(r.value);
    };

    it("reads secrets-common, then secrets; later files win", async () => {
        write("secrets-common", "A=common\nB=common\n");
        write("secrets", "B=main\n");
        write("secrets.staging", "B=staging\n");
        const s = store();
        assert.deepEqual(await value(s, "A"), secret("common"));
        assert.deepEqual(await value(s, "B"), secret("main"));
    });

    it("with a destination, reads secrets.DEST instead of secrets", async () => {
        write("secrets-common", "A=common\n");
        write("secrets", "B=main\nC=main\n");
        write("secrets.staging", "B=staging\n");
        const s = store({ destination: "staging" });
        assert.deepEqual(await value(s, "A"), secret("common"));
        assert.deepEqual(await value(s, "B"), secret("staging"));
        assert.deepEqual(s.get("C"), { error: 'secret "C" not found in .kamal/secrets-common, .kamal/secrets.staging' });
    });

    it("prefers secrets given in code, and then reads no file", async () => {
        write("secrets", "A=$(run-me)\n");
        const fake = fakeRunner();
        const s = store({ provided: { A: "given" }, runner: fake.runner });
        assert.deepEqual(await value(s, "A"), secret("given"));
        assert.deepEqual(fake.calls, []);
    });

    it("says which files it looked in when there are none", () => {
        assert.deepEqual(store().get("X"), { error: 'secret "X" not found; no secrets file (.kamal/secrets-common, .kamal/secrets) exists' });
        assert.deepEqual(store({ destination: "prod" }).get("X"), {
            error: 'secret "X" not found; no secrets file (.kamal/secrets-common, .kamal/secrets.prod) exists',
        });
    });

    it("reports command failures once, with the file and line, and marks the key as reported", () => {
        write("secrets", "OK=1\nBAD=$(boom)\n");
        const s = store();
        assert.deepEqual(s.get("BAD"), { reported: true });
        assert.deepEqual(s.get("OK").hasOwnProperty("value"), true);
        assert.deepEqual(s.problems, [{ file: ".kamal/secrets", line: 2, message: "BAD: its $(...) command exited with status 127" }]);
    });
});

describe("loadDeployConfig", () => {
    describe("secrets", () => {
        const env = testEnv({ PATH: `${fixture("secrets")}/bin:${process.env.PATH}`, PK_TEST_USER: "alice" });

        it("reads Kamal's dotenv format, runs $(commands) and kamal secrets, and makes every value a Pulumi secret", async () => {
            const loaded = load("secrets", { env, secrets: { GIVEN: "from-option" } });
            assert.deepEqual(await reveal(loaded.args.env), {
                secret: {
                    UNQUOTED: secret("plain value"),
                    SINGLE: secret("single $NOT_EXPANDED $(not run) \\n"),
                    DOUBLE: secret('double "quoted" with\nnewline'),
                    MULTILINE: secret("first line\nsecond line"),
                    EXPORTED: secret("exported"),
                    FROM_ENV: secret("alice"),
                    BRACED: secret("alice-suffix"),
                    COMMAND: secret("from alice"),
                    NESTED: secret("nested"),
                    ESCAPED_DOLLAR: secret("$PK_TEST_USER"),
                    ESCAPED_COMMAND: secret("$(echo not run)"),
                    SELF_REFERENCE: secret("plain value!"),
                    EMPTY: secret(""),
                    COLON_SEPARATED: secret("colon value"),
                    FROM_VAULT: secret('vault value with spaces, "quotes" & symbols'),
                    // The secrets option wins over the files.
                    GIVEN: secret("from-option"),
                    // NAME:SECRET reads the secret SECRET into NAME.
                    ALIASED: secret('vault value with spaces, "quotes" & symbols'),
                },
            });
        });

        it("wraps secrets given as options (plain or Outputs) in Pulumi secrets; no secrets file is needed", async () => {
            const loaded = load("broken-no-secrets-file", { secrets: { DB_PASSWORD: pulumi.output("from-an-output") } });
            assert.deepEqual(await reveal(loaded.args.env), { secret: { DB_PASSWORD: secret("from-an-output") } });
        });

        it("reads secrets_path-common and secrets_path", async () => {
            const loaded = load("secrets-path");
            assert.deepEqual(await reveal(loaded.args.env), {
                secret: { COMMON: secret("from-deploy-secrets-common"), MAIN: secret("from-deploy-secrets") },
            });
        });

        it("does not read the files (nor run their commands) when the option has every secret", async () => {
            const loaded = load("broken-secret-commands", { secrets: { DB_PASSWORD: "a", FROM_VAULT: "b", OK: "c" } });
            assert.deepEqual(await reveal(loaded.args.env), { secret: { DB_PASSWORD: secret("a"), FROM_VAULT: secret("b"), OK: secret("c") } });
        });
    });
});
