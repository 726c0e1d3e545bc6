/** Where a Kamal project's root is, given its deploy file: one rule for the loader and the CLI. */
import * as path from "node:path";

/** The directory holding `config/` (and `.kamal/`) when the file is in `config/`, else `cwd`. */
export function projectRoot(file: string, cwd: string): string {
    return path.basename(path.dirname(file)) === "config" ? path.dirname(path.dirname(file)) : cwd;
}
