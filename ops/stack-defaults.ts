/** The stack ops acts on without --stack (bin/app.ts deploys it under this name). */
export const DEFAULT_STACK_NAME = "PracticeOnboarding";
/** Lets tests (and a second checkout) point `--local` at another state directory than `.local`. */
export { STATE_DIR_VARIABLE } from "../local/local-endpoints.js";

/** Who `ops --local` signs as (`--local-role`): people with the stack's managed policies attached (docs/ops-cli.md). */
export const LOCAL_ROLES = ["operator", "key-administrator"] as const;
export type LocalRole = (typeof LOCAL_ROLES)[number];
export const DEFAULT_LOCAL_ROLE: LocalRole = "operator";
