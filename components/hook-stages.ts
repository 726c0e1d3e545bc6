/**
 * Hook stages and modes as data. A stage is where in a role's deploy a hook
 * runs (today: post-app-boot, between a healthy container and its traffic
 * switch); a mode (`when` x `runOn`) is how that hook is wired into the
 * graph. KamalRole reads both tables and has no branch per mode, so a new
 * stage is an entry in HOOK_STAGES plus its wiring.
 */
import type { HookConfig, RoleConfig } from "../config/types";

export interface HookStage {
    /** The role's config key (`hooks.postAppBoot`). */
    key: keyof NonNullable<RoleConfig["hooks"]>;
    /** Kamal's name: in resource names, the provider's messages and the hook's env. */
    name: string;
}

export const HOOK_STAGES = {
    postAppBoot: { key: "postAppBoot", name: "post-app-boot" },
} as const satisfies Record<string, HookStage>;

/** How one hook mode is wired between a role's containers and its traffic switches. */
export interface HookWiring {
    /** One hook per host (`each`), one on the role's first host (`first`), or one over every host at once (`together`). */
    runs: "each" | "first" | "together";
    /** Traffic moves after the hook succeeded (its switch waits for it) or before it runs (the hook waits for the switch). */
    traffic: "after-hook" | "before-hook";
    /** All hosts boot as one group (no boot.limit groups): a paused hook switches every host together. */
    oneGroup: boolean;
    /** The hook holds other roles (their containers boot first, their switches wait for it). */
    holds: boolean;
}

const MODES: Record<string, HookWiring> = {
    "before-traffic/primary": { runs: "first", traffic: "after-hook", oneGroup: false, holds: false },
    "before-traffic/all": { runs: "each", traffic: "after-hook", oneGroup: false, holds: false },
    "after-traffic/primary": { runs: "first", traffic: "before-hook", oneGroup: false, holds: false },
    "after-traffic/all": { runs: "each", traffic: "before-hook", oneGroup: false, holds: false },
    // runOn says where the hook runs; the switch is service-wide either way.
    "paused/primary": { runs: "together", traffic: "after-hook", oneGroup: true, holds: true },
    "paused/all": { runs: "together", traffic: "after-hook", oneGroup: true, holds: true },
};

export function wiringOf(hook: Pick<HookConfig, "when" | "runOn">): HookWiring {
    const wiring = MODES[`${hook.when}/${hook.runOn}`];
    if (!wiring) throw new Error(`no wiring for hooks with when: ${hook.when}, runOn: ${hook.runOn}`);
    return wiring;
}
