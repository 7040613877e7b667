// What the listing does with a key it sees installed (reconciliation-installations.ts): record it with its
// PracticeKeyInstalled (one transaction, the table's outbox) and time it; an installation recorded before
// installations were announced with their record is announced, not recorded again.
import { describe, expect, it } from "vitest";
import type { OutboxMessage } from "../../../contracts/domain-event-outbox.js";
import type { KeyFingerprint } from "../../../functions/key-custody/key-fingerprint.js";
import type { KeyInstallation } from "../../../functions/practice/key-installation.js";
import type { InstalledKey } from "../../../functions/reconciliation/reconciliation-classify.js";
import type { ReconciliationDeps } from "../../../functions/reconciliation/reconciliation-deps.js";
import {
  keyInstalledEventName,
  noticeInstallation,
} from "../../../functions/reconciliation/reconciliation-installations.js";
import { scanPortalKeys } from "../../../functions/reconciliation/reconciliation-list-keys-step.js";

const NOW = new Date("2026-03-05T10:00:00.000Z");
const FINGERPRINT = "a".repeat(64) as KeyFingerprint;
const SEEN: InstalledKey = {
  practiceId: "p-1",
  devRefId: "Dental One",
  keyFingerprint: FINGERPRINT,
  maskedKey: "…W2HD #3f9a1c",
  assignedInPortal: "2026-03-05 01:58:31",
  activatedAt: "2026-03-02T10:00:00.000Z",
};

const detailOf = (message: OutboxMessage) => JSON.parse(message.entry.Detail) as Record<string, unknown>;

function fakeDeps(options: { record?: boolean } = {}) {
  const calls: string[] = [];
  const messages: OutboxMessage[] = [];
  const timings: number[] = [];
  const deps = {
    runs: {
      recordKeyInstalled: async (
        o: { now: Date; runId: string; keyFingerprint: KeyFingerprint },
        announce: (installation: KeyInstallation) => OutboxMessage,
      ) => {
        calls.push("record");
        if (options.record === false) return undefined;
        const installation: KeyInstallation = {
          keyFingerprint: o.keyFingerprint,
          installedAt: o.now.toISOString(),
          assignedInPortal: SEEN.assignedInPortal,
          seenBy: o.runId,
          announcedAt: o.now.toISOString(),
        };
        messages.push(announce(installation));
        return installation;
      },
      announceInstallation: async (_recorded: unknown, message: OutboxMessage) => {
        calls.push("announce");
        messages.push(message);
        return true;
      },
    },
    recordTimeToInstall: (seconds: number) => timings.push(seconds),
  } as unknown as ReconciliationDeps;
  return { deps, calls, messages, timings };
}

describe("noticeInstallation", () => {
  it("records the installation with its PracticeKeyInstalled, and times it from onboarded to now", async () => {
    const { deps, calls, messages, timings } = fakeDeps();
    await noticeInstallation(deps, SEEN, "run-1", NOW);
    expect(calls).toEqual(["record"]);
    expect(messages.map(detailOf)).toEqual([
      {
        schemaVersion: "1",
        eventId: expect.any(String),
        occurredAt: NOW.toISOString(),
        executionName: keyInstalledEventName("p-1", FINGERPRINT),
        practiceId: "p-1",
        devRefId: "Dental One",
        maskedKey: "…W2HD #3f9a1c",
        installedAt: NOW.toISOString(),
        assignedInPortal: SEEN.assignedInPortal,
        onboardedAt: SEEN.activatedAt,
      },
    ]);
    expect(timings).toEqual([3 * 86_400]);
  });

  it("announces an installation recorded but never announced without recording or timing it again", async () => {
    const { deps, calls, messages, timings } = fakeDeps();
    const recorded: KeyInstallation = {
      maskedKey: SEEN.maskedKey,
      installedAt: "2026-03-04T10:00:00.000Z",
      assignedInPortal: SEEN.assignedInPortal,
      seenBy: "run-0",
    };
    await noticeInstallation(deps, { ...SEEN, recorded }, "run-1", NOW);
    expect(calls).toEqual(["announce"]);
    expect(messages.map(detailOf)).toEqual([
      expect.objectContaining({ occurredAt: recorded.installedAt, installedAt: recorded.installedAt }),
    ]);
    expect(timings).toEqual([]);
  });

  it("does nothing more when the record was not written (the practice changed since it was read)", async () => {
    const { deps, calls, timings } = fakeDeps({ record: false });
    await noticeInstallation(deps, SEEN, "run-1", NOW);
    expect(calls).toEqual(["record"]);
    expect(timings).toEqual([]);
  });

  it("names one event per practice and key, within Step Functions' 80 characters", () => {
    const longId = "p".repeat(64);
    const other = "b".repeat(64) as KeyFingerprint;
    expect(keyInstalledEventName(longId, FINGERPRINT)).toMatch(/^key-installed-[0-9a-f]{20}$/);
    expect(keyInstalledEventName("p-1", FINGERPRINT)).not.toBe(keyInstalledEventName("p-1", other));
    expect(keyInstalledEventName("p-1", FINGERPRINT)).not.toBe(keyInstalledEventName("p-2", FINGERPRINT));
  });

  it("records and announces at most installationsPerInvocation installed keys per invocation", async () => {
    const keys = Array.from({ length: 5 }, (_, i) => `INSTALLEDKEY000${i}`);
    const recorded: string[] = [];
    const deps = {
      store: {},
      limits: { installationsPerInvocation: 3 },
      portal: {
        listKeysPage: async () => ({
          keys: keys.map((customerKey) => ({
            customerKey,
            keyStatus: "Enabled",
            dateCreated: "2026-03-01",
            dateDisabled: null,
            dateTimeAssigned: "2026-03-02 10:00:00",
            devRefId: `Dental ${customerKey}`,
          })),
          nextOffset: null,
        }),
      },
      runs: {
        // The key as its own fingerprint: this test is about the cap, not the addressing.
        fingerprint: async (customerKey: string) => customerKey,
        listOpenAttempts: async () => [],
        getReleasedKeys: async () => new Map(),
        getLedger: async (list: string[]) =>
          new Map(
            list.map((k) => [
              k,
              { practiceId: `p-${k}`, customerKey: k, createdAt: "2026-03-01T00:00:00.000Z" },
            ]),
          ),
        getPractices: async (ids: string[]) =>
          new Map(
            ids.map((id) => [
              id,
              {
                practiceId: id,
                devRefId: `Dental ${id.slice(2)}`,
                status: "ACTIVE",
                customerKey: id.slice(2),
                keyFingerprint: id.slice(2),
                maskedKey: `…${id.slice(-4)} #${id
                  .slice(2, 8)
                  .toLowerCase()
                  .replace(/[^0-9a-f]/g, "0")}`,
                activatedAt: "2026-03-01T00:00:00.000Z",
                updatedAt: "2026-03-01T00:00:00.000Z",
              },
            ]),
          ),
        writeSeenKeys: async () => {},
        writeCandidates: async () => {},
        writeFindings: async () => {},
        writeRepairs: async () => {},
        recordKeyInstalled: async (o: { practiceId: string; now: Date }) => {
          recorded.push(o.practiceId);
          return { installedAt: o.now.toISOString(), assignedInPortal: "x", seenBy: "r" };
        },
      },
      now: () => NOW,
    } as unknown as ReconciliationDeps;
    const zero = { planned: 0, done: 0, skipped: 0, failed: 0, deferred: 0, after: null, finished: false };
    await scanPortalKeys(deps, {
      run: {
        runId: "r",
        repair: false,
        graceMinutes: 30,
        notYetAssignedDays: 7,
        startedAt: NOW.toISOString(),
      },
      progress: {
        chunk: 0,
        counts: {} as never,
        keys: { nextOffset: 0, listed: 0, pages: 0, done: false },
        practices: { status: 0, after: null, checked: 0, done: false },
        candidates: { count: 0, verdict: "pending", after: null, done: false },
        repairs: zero,
      },
    });
    expect(recorded).toHaveLength(3);
  });
});
