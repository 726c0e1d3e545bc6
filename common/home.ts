/** `~` and `~/...` in paths the user writes (ssh keys, known_hosts), as a shell would expand them. */
import { homedir } from "node:os";
import * as path from "node:path";

export function expandHome(p: string): string {
    if (p === "~") return homedir();
    return p.startsWith("~/") ? path.join(homedir(), p.slice(2)) : p;
}
