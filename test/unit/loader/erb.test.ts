/** renderErb: the ERB forms deploy.yml files use, and errors for everything else. */
import assert from "node:assert/strict";
import { renderErb } from "../../../config/erb";

const env = { HOST: "10.0.0.1", EMPTY: "", PORT: "3000" };
const render = (source: string) => renderErb(source, env);
const text = (source: string) => {
    const r = render(source);
    assert.deepEqual(r.problems, []);
    return r.text;
};

describe("renderErb", () => {
    it("leaves text without tags alone", () => {
        assert.equal(text("service: app\nimage: app:1\n"), "service: app\nimage: app:1\n");
    });

    it("reads ENV[\"X\"] and ENV['X'], with any spacing", () => {
        assert.equal(text(`a: <%= ENV["HOST"] %>\nb: <%=ENV['HOST']%>\nc: <%= ENV[ "PORT" ] %>\n`), "a: 10.0.0.1\nb: 10.0.0.1\nc: 3000\n");
    });

    it("renders an unset ENV[\"X\"] as nothing, as Ruby's nil, with a warning", () => {
        const r = render(`a: "<%= ENV["NOPE"] %>"\n`);
        assert.equal(r.text, `a: ""\n`);
        assert.deepEqual(r.warnings, [{ line: 1, message: `ERB <%= ENV["NOPE"] %>: NOPE is not set; it renders as an empty string (as in Kamal)` }]);
    });

    it("reads ENV.fetch with and without a default", () => {
        assert.equal(text(`a: <%= ENV.fetch("HOST") %>\n`), "a: 10.0.0.1\n");
        assert.equal(text(`a: <%= ENV.fetch("NOPE", "fallback") %>\n`), "a: fallback\n");
        assert.equal(text(`a: <%= ENV.fetch('NOPE', 'single') %>\n`), "a: single\n");
        assert.equal(text(`a: <%= ENV.fetch("NOPE", 42) %>\n`), "a: 42\n");
        assert.equal(text(`a: <%= ENV.fetch("HOST", "fallback") %>\n`), "a: 10.0.0.1\n");
    });

    it("rejects ENV.fetch of an unset variable without a default, naming the line and variable", () => {
        assert.deepEqual(render(`a: 1\nb: <%= ENV.fetch("NOPE") %>\n`).problems, [
            { line: 2, message: `ERB <%= ENV.fetch("NOPE") %>: environment variable NOPE is not set, and ENV.fetch has no default` },
        ]);
    });

    it("takes the first set value of A || B || \"literal\"; an empty string is set, as in Ruby", () => {
        assert.equal(text(`a: <%= ENV["NOPE"] || ENV["HOST"] || "x" %>\n`), "a: 10.0.0.1\n");
        assert.equal(text(`a: <%= ENV["NOPE"] || "x" %>\n`), "a: x\n");
        assert.equal(text(`a: "<%= ENV["EMPTY"] || "x" %>"\n`), `a: ""\n`);
    });

    it("supports -%>, <%% and <%# comments %>", () => {
        assert.equal(text(`a: <%= ENV["PORT"] -%>\nb: 2\n`), "a: 3000b: 2\n");
        assert.equal(text(`<%# a comment -%>\na: 1\n`), "a: 1\n");
        assert.equal(text(`a: "<%%= ENV['HOST'] %>"\n`), `a: "<%= ENV['HOST'] %>"\n`);
        assert.equal(text(`<%# a comment %>a: 1\n`), "a: 1\n");
    });

    it("drops tags on YAML comment lines without evaluating them", () => {
        assert.equal(text(`# RUBY_VERSION: <%= ENV["RBENV_VERSION"] || "#{RUBY_ENGINE}" %>\na: 1\n`), "# RUBY_VERSION: \na: 1\n");
    });

    it("rejects any other Ruby, naming the line", () => {
        const SUPPORTED = `only <%= ENV["X"] %>, <%= ENV.fetch("X") %> and <%= ENV.fetch("X", "default") %> are supported`;
        assert.deepEqual(render(`a: 1\n<% if true %>\nb: <%= "#{1 + 1}" %>\nc: <%= File.read("x") %>\n  <%- end -%>\n`).problems, [
            { line: 2, message: `unsupported ERB <% if true %>: Ruby code is not run; ${SUPPORTED}` },
            { line: 3, message: `unsupported ERB <%= "#{1 + 1}" %>: Ruby code is not run; ${SUPPORTED}` },
            { line: 4, message: `unsupported ERB <%= File.read("x") %>: Ruby code is not run; ${SUPPORTED}` },
            { line: 5, message: `unsupported ERB <%- end -%>: Ruby code is not run; ${SUPPORTED}` },
        ]);
        assert.deepEqual(render(`a: 1\nb: <%= ENV["HOST"]\n`).problems, [{ line: 2, message: "unterminated ERB tag: <% without a closing %>" }]);
    });

    it("maps rendered lines back to source lines when values span lines or tags are trimmed", () => {
        const r = renderErb(`a: |\n  <%= ENV["MULTI"] %>\nb: <%= ENV["X"] -%>\n\nc: 3\n`, { MULTI: "one\ntwo\nthree", X: "x" });
        assert.equal(r.text, "a: |\n  one\ntwo\nthree\nb: x\nc: 3\n");
        assert.deepEqual([1, 2, 3, 4, 5, 6].map(r.sourceLine), [1, 2, 2, 2, 3, 5]);
    });
});
