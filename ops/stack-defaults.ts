/** The stack ops acts on without --stack (bin/app.ts deploys it under this name). */
export const DEFAULT_STACK_NAME = "PracticeOnboarding";
/** Lets tests (and a second checkout) point `--local` at another state directory than `.local`. */
export { STATE_DIR_VARIABLE } from "../local/local-endpoints.js";
