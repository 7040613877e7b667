// Secret comparisons that take the same time whatever the inputs share: both sides are hashed first, so
// neither a common prefix nor a length difference shows in the timing.
import { createHash, timingSafeEqual } from "node:crypto";

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

/** True when `a` and `b` are the same string; runs in time independent of where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** True when `value` equals one of `candidates`; every candidate is compared, so the match's position is hidden. */
export function constantTimeIncludes(candidates: readonly string[], value: string): boolean {
  let found = false;
  for (const candidate of candidates) found = constantTimeEqual(candidate, value) || found;
  return found;
}
