/**
 * provider/commands/shell.ts: quoting and word splitting, checked through a
 * real `sh -c` so quoting cannot be escaped.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join as pathJoin } from "node:path";
import assert from "node:assert/strict";
import { join, quote, splitWords } from "../../provider/commands/shell";
import { roundTrip, shellWords } from "./real-shell";

describe("shell", () => {
    let dir: string;
    beforeEach(() => {
        dir = mkdtempSync(pathJoin(tmpdir(), "kamal-shell-"));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    describe("quote", () => {
        it("leaves plain words alone", () => {
            assert.equal(quote("docker"), "docker");
            assert.equal(quote("--env"), "--env");
            assert.equal(quote("KEY=va/l:u,e.x@1%+_-"), "KEY=va/l:u,e.x@1%+_-");
        });

        it("quotes the empty string as ''", () => {
            assert.equal(quote(""), "''");
        });

        it("single-quotes anything else, closing and escaping embedded single quotes", () => {
            assert.equal(quote("a b"), "'a b'");
            assert.equal(quote("$HOME"), "'$HOME'");
            assert.equal(quote("it's"), "'it'\\''s'");
            assert.equal(quote("~"), "'~'");
            assert.equal(quote("*"), "'*'");
        });

        it("quotes a word starting with = (zsh expands =cmd), not one with = inside", () => {
            assert.equal(quote("=ls"), "'=ls'");
            assert.equal(quote("="), "'='");
            assert.equal(quote("==x"), "'==x'");
            assert.equal(quote("KEY=value"), "KEY=value");
        });

        it("join separates quoted words by single spaces", () => {
            assert.equal(join(["echo", "a b", "", "c"]), "echo 'a b' '' c");
        });
    });

    describe("join through a real sh -c", () => {
        const nasty = [
            "$(rm -rf /)",
            "$(touch pwned-dollar)",
            "`touch pwned-backtick`",
            "; touch pwned-semicolon",
            "&& touch pwned-and",
            "| touch pwned-pipe",
            "> pwned-redirect",
            "'single' \"double\"",
            "it's",
            "'",
            "\"",
            "\\",
            "back\\slash\\",
            "line one\nline two\n",
            "  leading and trailing spaces  ",
            "tab\there",
            "",
            "$HOME ${PATH} $1 $@ $*",
            "~",
            "~/x",
            "*",
            "[p]*",
            "?",
            "!",
            "#not a comment",
            "a=b",
            "-n",
            "ünïcödé ✓",
        ];

        it("delivers every nasty string to the program unchanged", () => {
            writeFileSync(pathJoin(dir, "pwned-glob-target"), ""); // so an unquoted `[p]*` or `*` would expand
            assert.deepEqual(roundTrip(nasty, dir), nasty);
        });

        it("never runs anything embedded in an argument (no injection)", () => {
            roundTrip(nasty, dir);
            shellWords(join(nasty), dir);
            assert.deepEqual(readdirSync(dir).filter((f) => f !== ".bin"), []);
        });

        it("round-trips each string on its own, the empty one included", () => {
            for (const s of nasty) assert.deepEqual(shellWords(join([s]), dir), [s], JSON.stringify(s));
        });
    });

    describe("splitWords", () => {
        it("splits a Kamal cmd string on whitespace", () => {
            assert.deepEqual(splitWords("bin/jobs --queue default"), ["bin/jobs", "--queue", "default"]);
            assert.deepEqual(splitWords("  a \t b\n c  "), ["a", "b", "c"]);
            assert.deepEqual(splitWords(""), []);
            assert.deepEqual(splitWords("   "), []);
        });

        it("honours single quotes, double quotes and backslashes as sh does", () => {
            assert.deepEqual(splitWords(`echo 'a  b' "c  d"`), ["echo", "a  b", "c  d"]);
            assert.deepEqual(splitWords(`a'b'"c"d`), ["abcd"]);
            assert.deepEqual(splitWords(`"say \\"hi\\""`), [`say "hi"`]);
            assert.deepEqual(splitWords(`escaped\\ space`), ["escaped space"]);
            assert.deepEqual(splitWords(`'it'\\''s'`), ["it's"]);
            assert.deepEqual(splitWords(`'no \\ escapes in single'`), ["no \\ escapes in single"]);
            assert.deepEqual(splitWords(`"keep \\n backslash"`), ["keep \\n backslash"]);
        });

        it("keeps empty quoted words", () => {
            assert.deepEqual(splitWords(`a '' ""`), ["a", "", ""]);
        });

        it("expands nothing", () => {
            assert.deepEqual(splitWords("echo $HOME *.rb $(id) `id` ~"), ["echo", "$HOME", "*.rb", "$(id)", "`id`", "~"]);
            assert.deepEqual(splitWords(`"\\$HOME"`), ["$HOME"]);
        });

        it("agrees with sh on commands without expansions", () => {
            const commands = [
                "bin/jobs --queue default",
                `bundle exec 'sidekiq -C' "config/side kiq.yml"`,
                `a'b'"c"d e`,
                `"say \\"hi\\"" 'it'\\''s'`,
                `escaped\\ space and\\\\backslash`,
                `"keep \\n backslash" "esc \\\\ \\" \\$"`,
                `trailing\\`,
                ` x  ''  "" y `,
            ];
            for (const c of commands) assert.deepEqual(splitWords(c), shellWords(c, dir), c);
        });

        it("rejects unterminated quotes, naming the quote and the command", () => {
            assert.throws(() => splitWords("echo 'oops"), { message: "unterminated ' quote in command: echo 'oops" });
            assert.throws(() => splitWords(`echo "oops`), { message: `unterminated " quote in command: echo "oops` });
            assert.throws(() => splitWords(`"a\\"`), /unterminated " quote/);
        });
    });
});
