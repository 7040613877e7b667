// The decisions behind every finding, without I/O: above all, when a key counts as ours.
import { describe, expect, it } from "vitest";
import type { KeyFingerprint } from "../../../functions/key-custody/key-fingerprint.js";
import type { OpenCreateAttempt } from "../../../functions/practice/create-attempts.js";
import type { PracticeRecord } from "../../../functions/practice/practice-record.js";
import {
  attemptWindow,
  candidatesAreOurs,
  classifyPortalKey,
  classifyPractice,
  type FingerprintedKey,
  unaccountedPosts,
} from "../../../functions/reconciliation/reconciliation-classify.js";

const NOW = new Date("2025-06-12T12:00:00.000Z");
const PARAMS = { runId: "run-1", repair: true, graceMinutes: 30, notYetAssignedDays: 7 };
const KEY = "QJXZR4PNK5B8W2HD";

/** KEY's fingerprint (any 64 hex: the classification compares fingerprints, it does not compute them). */
const FINGERPRINT = "3f9a1c".padEnd(64, "0") as KeyFingerprint;

function key(overrides: Partial<FingerprintedKey> = {}): FingerprintedKey {
  return {
    customerKey: KEY,
    keyFingerprint: FINGERPRINT,
    keyStatus: "Enabled",
    dateCreated: "2025-06-12",
    dateDisabled: null,
    dateTimeAssigned: null,
    devRefId: "",
    ...overrides,
  };
}

function attempt(overrides: Partial<OpenCreateAttempt> = {}): OpenCreateAttempt {
  return {
    practiceId: "p-1",
    executionName: "exec-1",
    status: "LOST_RESPONSE",
    attempts: 1,
    lostResponses: 1,
    firstAttemptAt: "2025-06-12T09:00:00.000Z",
    lastAttemptAt: "2025-06-12T09:00:01.000Z",
    ...overrides,
  };
}

function practice(overrides: Partial<PracticeRecord> = {}): PracticeRecord {
  return {
    practiceId: "p-1",
    devRefId: "Bright Smiles",
    status: "ACTIVE",
    version: 3,
    lastExecution: "exec-1",
    requestedBy: "crm",
    customerKey: KEY,
    maskedKey: "…W2HD #3f9a1c",
    keyFingerprint: FINGERPRINT,
    createdAt: "2025-06-01T00:00:00.000Z",
    updatedAt: "2025-06-01T00:00:00.000Z",
    activatedAt: "2025-06-11T00:00:00.000Z",
    ...overrides,
  };
}

const outsideLedger = (k: FingerprintedKey, attempts: OpenCreateAttempt[]) =>
  classifyPortalKey(k, { openAttempts: attempts, params: PARAMS, now: NOW });

describe("the 'ours' rule for keys outside the ledger", () => {
  it("makes an enabled, unlabeled, never-assigned key dated within an open attempt's window a candidate", () => {
    expect(outsideLedger(key(), [attempt()]).candidate).toEqual({
      customerKey: KEY,
      keyFingerprint: FINGERPRINT,
      // What operators see of it: the scratch stores the key encrypted (docs/architecture.md §4 invariant 13).
      maskedKey: "…W2HD #3f9a1c",
      dateCreated: "2025-06-12",
      attemptIds: ["p-1#exec-1"],
    });
  });

  it.each([
    ["labeled", key({ devRefId: "Someone" })],
    ["installed by a practice", key({ dateTimeAssigned: "2025-06-12 10:00:00" })],
    ["created two days before the attempt", key({ dateCreated: "2025-06-10" })],
    ["created two days after the attempt", key({ dateCreated: "2025-06-14" })],
  ])("calls a key %s FOREIGN", (_, k) => {
    const result = outsideLedger(k, [attempt()]);
    expect(result.candidate).toBeUndefined();
    expect(result.findings.map((f) => f.category)).toEqual(["UNMAPPED_KEY_FOREIGN"]);
    expect(result.repairs).toEqual([]);
  });

  it("ignores attempts whose one POST got its key recorded", () => {
    expect(
      outsideLedger(key(), [attempt({ status: "CREATED", attempts: 1, lostResponses: 0 })]).candidate,
    ).toBeUndefined();
  });

  it("reports nothing for a disabled key outside the ledger", () => {
    expect(outsideLedger(key({ keyStatus: "DisabledByDeveloper" }), [attempt()])).toEqual({
      findings: [],
      repairs: [],
      deferred: 0,
    });
  });

  it("allows one day of slack on each side for the portal's time zone", () => {
    expect(
      attemptWindow(
        attempt({ firstAttemptAt: "2025-06-01T23:59:00Z", lastAttemptAt: "2025-06-02T00:01:00Z" }),
      ),
    ).toEqual({
      from: "2025-05-31",
      to: "2025-06-03",
    });
  });

  it("counts a retried attempt that ended CREATED as one unaccounted POST per extra attempt", () => {
    expect(unaccountedPosts({ status: "CREATED", attempts: 3 })).toBe(2);
    expect(unaccountedPosts({ status: "LOST_RESPONSE", attempts: 1 })).toBe(1);
    expect(unaccountedPosts({ status: "CREATED", attempts: 1 })).toBe(0);
  });

  it("takes candidates as ours only when they are no more than the lost POSTs they match", () => {
    const one = {
      customerKey: "A".repeat(16),
      keyFingerprint: FINGERPRINT,
      maskedKey: "AAAA…AAAA",
      dateCreated: "2025-06-12",
      attemptIds: ["p-1#exec-1"],
    };
    const two = { ...one, customerKey: "B".repeat(16) };
    expect(candidatesAreOurs([one], [attempt()])).toBe(true);
    expect(candidatesAreOurs([one, two], [attempt()])).toBe(false);
    expect(candidatesAreOurs([one, two], [attempt({ attempts: 2, lostResponses: 2 })])).toBe(true);
    // An attempt no candidate matches lends its lost POSTs to no one.
    expect(candidatesAreOurs([one, two], [attempt(), attempt({ executionName: "exec-2" })])).toBe(false);
    // Counted attempt by attempt: exec-2's two lost POSTs cannot answer for a second key dated near exec-1 only.
    const late = { ...one, customerKey: "C".repeat(16), attemptIds: ["p-1#exec-2"] };
    const exec2 = attempt({ executionName: "exec-2", attempts: 2, lostResponses: 2 });
    expect(candidatesAreOurs([one, two, late], [attempt(), exec2])).toBe(false);
    expect(candidatesAreOurs([one, late], [attempt(), exec2])).toBe(true);
    // A key dated near both lends its choice to the others.
    const both = { ...one, customerKey: "D".repeat(16), attemptIds: ["p-1#exec-1", "p-1#exec-2"] };
    expect(candidatesAreOurs([both, one, late], [attempt(), exec2])).toBe(true);
  });
});

describe("classifyPortalKey for ledger keys", () => {
  it("defers disabling a key of ours created within the grace period", () => {
    const result = classifyPortalKey(key(), {
      ledger: { keyFingerprint: FINGERPRINT, practiceId: "p-1", createdAt: "2025-06-12T11:50:00Z" },
      practice: practice({
        customerKey: "OTHERKEY00000000",
        keyFingerprint: "0".repeat(64) as KeyFingerprint,
      }),
      openAttempts: [],
      params: PARAMS,
      now: NOW,
    });
    expect(result.findings[0]).toMatchObject({
      category: "UNMAPPED_KEY_OURS",
      details: { withinGracePeriod: true },
    });
    expect(result).toMatchObject({ repairs: [], deferred: 1 });
  });

  const ledger = {
    keyFingerprint: FINGERPRINT,
    practiceId: "p-1",
    createdBy: "exec-1",
    createdAt: "2025-06-01T00:00:00Z",
  };

  it("plans nothing in a report-only run", () => {
    const result = classifyPortalKey(key({ devRefId: "Old" }), {
      ledger,
      practice: practice(),
      openAttempts: [],
      params: { ...PARAMS, repair: false },
      now: NOW,
    });
    expect(result.findings.map((f) => f.category)).toEqual(["LABEL_DRIFT"]);
    expect(result.repairs).toEqual([]);
  });

  it("leaves UNMAPPED_KEY_OURS of a practice mid-way through an execution to it (or to the STUCK repair)", () => {
    const result = classifyPortalKey(key(), {
      ledger,
      practice: practice({
        status: "ONBOARDING",
        customerKey: undefined,
        keyFingerprint: undefined,
        updatedAt: "2025-06-01T00:00:00Z",
      }),
      openAttempts: [],
      params: PARAMS,
      now: NOW,
    });
    expect(result.findings[0]).toMatchObject({
      category: "UNMAPPED_KEY_OURS",
      details: { practiceInProgress: true },
    });
    expect(result).toMatchObject({ repairs: [], deferred: 1 });
  });

  it("reports an ACTIVE practice's enabled, unlabeled-in-portal, never-installed key both ways", () => {
    const result = classifyPortalKey(key({ devRefId: "" }), {
      ledger,
      practice: practice({ activatedAt: "2025-06-01T00:00:00Z" }),
      openAttempts: [],
      params: PARAMS,
      now: NOW,
    });
    expect(result.findings.map((f) => f.category)).toEqual(["LABEL_DRIFT", "NOT_YET_ASSIGNED"]);
    expect(result.repairs).toEqual([
      {
        type: "RELABEL_KEY",
        customerKey: KEY,
        keyFingerprint: FINGERPRINT,
        practiceId: "p-1",
        devRefId: "Bright Smiles",
      },
    ]);
  });
});

describe("classifyPractice", () => {
  it("reports STUCK but plans no repair when the execution cannot be looked up", () => {
    const stuck = practice({ status: "OFFBOARDING", updatedAt: "2025-06-12T10:00:00Z" });
    const result = classifyPractice(stuck, { execution: "UNKNOWN", params: PARAMS, now: NOW });
    expect(result.findings.map((f) => f.category)).toEqual(["STUCK"]);
    expect(result).toMatchObject({ repairs: [], deferred: 1 });
  });

  it("reports nothing for an in-between practice whose execution is running", () => {
    const busy = practice({ status: "ONBOARDING", updatedAt: "2025-06-12T10:00:00Z" });
    expect(classifyPractice(busy, { execution: "RUNNING", params: PARAMS, now: NOW }).findings).toEqual([]);
  });
});
