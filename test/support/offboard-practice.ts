// Takes a practice through the offboarding writes the Offboarding workflow makes (docs: offboarding-writes.ts):
// claim, key recorded disabled (when it holds one), OFFBOARDED — for tests that need an offboarded practice.
import type { PracticeRecord } from "../../functions/practice/practice-record.js";
import type { PracticeStore } from "../../functions/practice/practice-store.js";

export async function offboardPractice(
  store: PracticeStore,
  request: {
    readonly practiceId: string;
    readonly executionName: string;
    readonly requestedBy?: string;
    readonly reason?: string;
    readonly now?: Date;
  },
): Promise<PracticeRecord> {
  const step = { practiceId: request.practiceId, executionName: request.executionName, now: request.now };
  await startOffboarding(store, request);
  if ((await store.getPractice(request.practiceId))?.customerKey) {
    await store.recordOffboardingKeyDisabled({
      ...step,
      keyMissingInPortal: false,
      portalKeyStatus: "DisabledByDeveloper",
    });
  }
  return store.completeOffboarding(step);
}

/** Claims a practice for offboarding only (it stays OFFBOARDING, as when its execution died). */
export async function startOffboarding(
  store: PracticeStore,
  request: {
    readonly practiceId: string;
    readonly executionName: string;
    readonly requestedBy?: string;
    readonly reason?: string;
    readonly now?: Date;
  },
): Promise<void> {
  await store.startOffboarding({
    practiceId: request.practiceId,
    executionName: request.executionName,
    requestedBy: request.requestedBy ?? "ops:alice",
    reason: request.reason ?? "practice closed",
    ...(request.now ? { now: request.now } : {}),
  });
}
