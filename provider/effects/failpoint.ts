/**
 * Fault-injection points for the end-to-end fault suite; inert unless
 * PULUMI_KAMAL_FAILPOINTS names a directory. At a point whose file exists
 * there, the deploy writes `NAME.reached` and waits until the file is gone:
 * the test freezes a host exactly at that phase (a window of milliseconds no
 * timing from outside can hit), then lets the deploy go on.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { sleep } from "./common";

export type Failpoint = "paused-before-resume";

export async function failpoint(name: Failpoint): Promise<void> {
    const dir = process.env.PULUMI_KAMAL_FAILPOINTS;
    if (!dir) return;
    const file = path.join(dir, name);
    if (!fs.existsSync(file)) return;
    fs.writeFileSync(`${file}.reached`, `${Date.now()}\n`);
    while (fs.existsSync(file)) await sleep(20);
}
