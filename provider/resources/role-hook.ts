/**
 * RoleHook: a role's hook (post-app-boot), run by `docker exec` in the role's
 * new container the moment it is healthy: before traffic (default), after
 * traffic, or around a service-wide paused switch. The engine-facing
 * adapter; the commands run in ../effects/hook.ts and ../effects/paused.ts.
 */
import { randomUUID } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import type * as proxyCmd from "../commands/proxy";
import type { Health } from "../effects/containers";
import { runHooks, stageOf } from "../effects/hook";
import { interruptible } from "../effects/interrupts";
import { holdLock, LockSpec } from "../effects/lock";
import { runPaused } from "../effects/paused";
import type { SshTarget } from "../transport";
import { changedKeys } from "./common";
import { rerunKeys } from "./role-hook-diff";

export interface HookTarget {
    connection: SshTarget;
    containerId: string;
    containerName: string;
    healthyAt: number;
}

export interface RoleHookInputs {
    service: string;
    role: string;
    destination?: string;
    /** The hook's stage, e.g. `post-app-boot` (absent in states written before stages: post-app-boot). */
    stage?: string;
    version: string;
    command: string | string[];
    when: "before-traffic" | "after-traffic" | "paused";
    runOn: "primary" | "all";
    timeout: number;
    env: Record<string, string>;
    /** Where the hook runs; for `paused`, every host of the role (all are paused and switched together). */
    targets: HookTarget[];
    /** The hosts it will run on, in plain sight for `pulumi preview` (targets are secret: they carry SSH keys). */
    runsOn: string[];
    health: Health;
    /** For `paused`: the role's kamal-proxy service and switch settings. */
    proxy?: Omit<proxyCmd.DeployTarget, "target"> & { appPort: number };
    /** The deploy lock this resource's host changes wait for (absent in states written before it existed). */
    lock?: LockSpec;
    /** Secret values the container can see (its secret env): masked in the hook's output and errors. */
    redact?: string[];
    /** For `paused`: the other roles held while the hook runs (secret: their targets carry SSH keys). */
    held?: HeldRole[];
    /** Their names, in plain sight for `pulumi preview`. */
    holds?: string[];
}

/** A role held by a `paused` hook: proxied ones are paused and switched, others stopped and started again. */
export interface HeldRole {
    role: string;
    /** Every host's new container of the role. */
    targets: HookTarget[];
    health: Health;
    proxy?: Omit<proxyCmd.DeployTarget, "target"> & { appPort: number };
    stopTimeout?: number;
}

export interface HookRun {
    host: string;
    container: string;
    exitCode: number;
    durationMs: number;
    /** From the container passing its health check to the hook starting. */
    healthyToStartMs: number;
    startedAt: number;
    outputTail: string;
}

export interface RoleHookOutputs extends RoleHookInputs {
    runs: HookRun[];
}

/** Changing these re-runs the hook (in the current container when it did not change); targets count by host and container only. */
const RERUN_ON: (keyof RoleHookInputs)[] = ["command", "env", "targets", "version", "runOn"];

export const roleHookProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id, olds: RoleHookOutputs, news: RoleHookInputs) {
        const replaces = rerunKeys(olds, news, RERUN_ON);
        // New SSH settings alone are an update: stored, nothing runs again.
        const changes = replaces.length > 0 || changedKeys(olds, news, ["when", "timeout", "health", "proxy", "targets", "held", "holds"]).length > 0;
        return { changes, replaces };
    },

    async create(inputs: RoleHookInputs) {
        await holdLock(inputs.lock, "up");
        const runs = await interruptible(() => (inputs.when === "paused" ? runPaused(inputs) : runHooks(inputs)));
        return { id: `${inputs.service}-${inputs.role}-${stageOf(inputs)}-${randomUUID().slice(0, 8)}`, outs: { ...inputs, runs } satisfies RoleHookOutputs };
    },

    async update(_id, olds: RoleHookOutputs, news: RoleHookInputs) {
        // Only when/timeout/health or SSH settings changed: nothing to run again.
        return { outs: { ...news, runs: olds.runs } };
    },

    async delete() {
        // A hook's effects (a migration) are not undone by removing it from the stack.
    },
};
