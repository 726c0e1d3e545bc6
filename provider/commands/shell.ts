/**
 * POSIX shell quoting. Every command we send over SSH is an argv array joined
 * here, so no config value is ever interpreted by the remote shell.
 */

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quote one argument for a POSIX shell. */
export function quote(arg: string): string {
    if (arg === "") return "''";
    // A leading `=` stays quoted: zsh (a login shell on some hosts) expands `=cmd` to a path.
    if (SAFE.test(arg) && !arg.startsWith("=")) return arg;
    return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Join an argv array into a command line that the shell splits back into exactly that argv. */
export function join(argv: readonly string[]): string {
    return argv.map(quote).join(" ");
}

/**
 * Split a command string into words the way `sh` would, without expanding
 * anything: Kamal's `cmd: "bin/jobs --queue default"` becomes an argv.
 */
export function splitWords(command: string): string[] {
    const words: string[] = [];
    let word = "";
    let inWord = false;
    let quoteChar: "'" | '"' | undefined;
    for (let i = 0; i < command.length; i++) {
        const c = command[i];
        if (quoteChar === "'") {
            if (c === "'") quoteChar = undefined;
            else word += c;
        } else if (quoteChar === '"') {
            if (c === '"') quoteChar = undefined;
            else if (c === "\\" && i + 1 < command.length && `$\`"\\\n`.includes(command[i + 1])) word += command[++i];
            else word += c;
        } else if (c === "'" || c === '"') {
            quoteChar = c;
            inWord = true;
        } else if (c === "\\" && i + 1 < command.length) {
            word += command[++i];
            inWord = true;
        } else if (/\s/.test(c)) {
            if (inWord) words.push(word);
            word = "";
            inWord = false;
        } else {
            word += c;
            inWord = true;
        }
    }
    if (quoteChar) throw new Error(`unterminated ${quoteChar} quote in command: ${command}`);
    if (inWord) words.push(word);
    return words;
}
