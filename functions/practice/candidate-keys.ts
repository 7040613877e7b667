// An operator's decision on a lost-POST candidate: an enabled, unlabeled, never-installed key outside the ledger,
// dated near a create attempt whose answer was lost, that reconciliation could not tell apart from keys made by
// hand (more candidates than lost POSTs: reported FOREIGN with `possiblyOurs`, left alone). See README
// "Lost-POST candidates" and docs/ops-cli.md (adopt-key, release-key).
//
// - Adopt: the key enters the ledger as the attempt's orphan (`origin: operator-adopted`), never as the practice's
//   key; it accounts for one of the attempt's unknown POSTs (the attempt leaves the open list once all are), and
//   the next repairing reconciliation disables it as UNMAPPED_KEY_OURS.
// - Release: the key is marked not ours (`KEY#<key>/RELEASED`); reconciliation never counts it as a candidate
//   again, so it is never adopted or changed by a repair.
// Both are idempotent, and conditional on each other: a released key cannot be adopted, nor an adopted one released.

import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { keys, PK, STATUS_INDEX_PK, STATUS_INDEX_SK } from "../../contracts/table-schema.js";
import type { KeyFingerprint } from "../key-custody/key-fingerprint.js";
import { maskCustomerKey } from "../key-custody/masked-key.js";
import { InvalidInput } from "../platform/errors.js";
import { auditPut } from "./audit-trail.js";
import { tryTransaction } from "./conditional-transaction.js";
import { getCreateAttempt } from "./create-attempts.js";
import { getKeyOwner, type LedgerEntry } from "./key-ledger.js";
import { getReleasedKeys, type KeyRelease, releaseFrom } from "./key-releases.js";
import { batchGet, fingerprintOf, type PracticeTable } from "./practice-table.js";
import { queryRunItems } from "./reconciliation-runs.js";
import type { LostKeyCandidate } from "./reconciliation-scratch.js";

/** Origin of a ledger entry an operator adopted (reconciliation's own adoptions are `lost-response`). */
export type { KeyRelease };
export { getReleasedKeys };

export const OPERATOR_ADOPTED_ORIGIN = "operator-adopted";

/** What became of a run's candidate since: still undecided, adopted into the ledger, or released. */
export type CandidateDecision =
  | { readonly kind: "undecided" }
  | { readonly kind: "adopted"; readonly practiceId: string; readonly origin: string }
  | { readonly kind: "released"; readonly release: KeyRelease };

export interface RunCandidate extends LostKeyCandidate {
  readonly decision: CandidateDecision;
}

/** Refused by what the table holds (a released key to adopt, an adopted key to release, …): nothing written. */
const CandidateRefused = InvalidInput;

async function getRelease(
  table: PracticeTable,
  keyFingerprint: KeyFingerprint,
): Promise<KeyRelease | undefined> {
  const { Item } = await table.client.send(
    new GetCommand({
      TableName: table.tableName,
      Key: keys.releasedKey(keyFingerprint),
      ConsistentRead: true,
    }),
  );
  return Item ? releaseFrom(Item) : undefined;
}

/** Every lost-POST candidate a run stored (its scratch lives 3 days), with what was decided for each since. */
export async function readRunCandidates(table: PracticeTable, runId: string): Promise<RunCandidate[]> {
  const candidates: LostKeyCandidate[] = [];
  let after: string | undefined;
  do {
    const page = await queryRunItems(table, runId, keys.reconciliationCandidatePrefix, after, 500);
    for (const item of page.items) {
      candidates.push({
        customerKey: String(item.customerKey),
        keyFingerprint: String(item.keyFingerprint) as KeyFingerprint,
        maskedKey: String(item.maskedKey ?? "(encrypted key)"),
        dateCreated: (item.dateCreated as string | null | undefined) ?? null,
        attemptIds: (item.attemptIds as string[] | undefined) ?? [],
      });
    }
    after = page.lastSk;
  } while (after);
  const fingerprints = candidates.map((c) => c.keyFingerprint);
  const [ledger, released] = await Promise.all([
    batchGet(
      table,
      fingerprints.map((fingerprint) => keys.ledgerEntry(fingerprint)),
    ),
    getReleasedKeys(table, fingerprints),
  ]);
  const owners = new Map(ledger.map((item) => [String(item.keyFingerprint), item]));
  return candidates.map((candidate) => {
    const owner = owners.get(candidate.keyFingerprint);
    const release = released.get(candidate.keyFingerprint);
    const decision: CandidateDecision = owner
      ? {
          kind: "adopted",
          practiceId: String(owner.practiceId),
          origin: String(owner.origin ?? "onboarding"),
        }
      : release
        ? { kind: "released", release }
        : { kind: "undecided" };
    return { ...candidate, decision };
  });
}

/** `<practiceId>#<executionName>` → its parts (the practice id holds no `#`). */
export function parseAttemptId(attemptId: string): { practiceId: string; executionName: string } {
  const at = attemptId.indexOf("#");
  return { practiceId: attemptId.slice(0, at), executionName: attemptId.slice(at + 1) };
}

/**
 * Which candidate: by its fingerprint and masked form, as the run stored them (an operator cannot open the
 * candidate's ciphertext, docs/architecture.md §4 invariant 13), or by the key itself where it is at hand.
 */
export type CandidateIdentity =
  | { readonly keyFingerprint: KeyFingerprint; readonly maskedKey: string }
  | { readonly customerKey: string };

async function identify(
  table: PracticeTable,
  candidate: CandidateIdentity,
): Promise<{ keyFingerprint: KeyFingerprint; maskedKey: string }> {
  if ("keyFingerprint" in candidate)
    return { keyFingerprint: candidate.keyFingerprint, maskedKey: candidate.maskedKey };
  const keyFingerprint = await fingerprintOf(table, candidate.customerKey);
  return { keyFingerprint, maskedKey: maskCustomerKey(candidate.customerKey, keyFingerprint) };
}

export type AdoptRequest = CandidateIdentity & AdoptTarget;

interface AdoptTarget {
  readonly practiceId: string;
  /** The attempt of `practiceId` whose lost answer the key is (one of the candidate's attempts). */
  readonly executionName: string;
  readonly runId: string;
  readonly actor: string;
  readonly now: Date;
}

/**
 * Adopts a candidate as the orphan of the attempt's lost POST: ledger entry, one of the attempt's unknown POSTs
 * accounted for (the attempt leaves the open list when none is left), audit entry — in one transaction.
 * `already-adopted` when the ledger already maps the key to this practice.
 */
export async function adoptCandidateKey(
  table: PracticeTable,
  request: AdoptRequest,
): Promise<{ outcome: "adopted" | "already-adopted"; attemptResolved: boolean }> {
  const { practiceId, executionName, now } = request;
  const { keyFingerprint, maskedKey } = await identify(table, request);
  for (let round = 0; round < 4; round++) {
    const owner = await getKeyOwner(table, keyFingerprint);
    if (owner) return { outcome: alreadyAdopted(owner, practiceId, maskedKey), attemptResolved: false };
    const release = await getRelease(table, keyFingerprint);
    if (release)
      throw new CandidateRefused(
        `${maskedKey} was released as not ours by ${release.releasedBy} at ${release.releasedAt}: it cannot be adopted`,
      );
    const raw = await getRawItem(table, keys.createAttempt(practiceId, executionName));
    const attempt = raw ? await getCreateAttempt(table, practiceId, executionName) : undefined;
    if (!raw || !attempt)
      throw new CandidateRefused(`practice ${practiceId} has no create attempt ${executionName}`);
    const created = attempt.status === "CREATED" ? 1 : 0;
    const adopted = attempt.adoptedKeys ?? 0;
    const unknown = attempt.attempts - created - (attempt.noKeyAnswers ?? 0) - adopted;
    if (unknown <= 0)
      throw new CandidateRefused(
        `every POST of ${practiceId}'s attempt ${executionName} is accounted for: ${maskedKey} is not its key`,
      );
    const resolves = unknown === 1;
    const at = now.toISOString();
    const written = await tryTransaction(table, [
      {
        Put: {
          TableName: table.tableName,
          Item: {
            ...keys.ledgerEntry(keyFingerprint),
            keyFingerprint,
            maskedKey,
            practiceId,
            createdBy: executionName,
            // When the lost POST was sent, so the repair's grace period counts from the key's making.
            createdAt: attempt.lastAttemptAt,
            origin: OPERATOR_ADOPTED_ORIGIN,
            adoptedBy: request.actor,
            adoptedAt: at,
            adoptedFromRun: request.runId,
          },
          ConditionExpression: "attribute_not_exists(#pk)",
          ExpressionAttributeNames: { "#pk": PK },
        },
      },
      {
        ConditionCheck: {
          TableName: table.tableName,
          Key: keys.releasedKey(keyFingerprint),
          ConditionExpression: "attribute_not_exists(#pk)",
          ExpressionAttributeNames: { "#pk": PK },
        },
      },
      {
        // A whole-item put, not an update: the key administrator may put practice-partition items (import) but
        // update none of them (lib/key-administrator-policy.ts). Optimistic: the counts read are still the item's.
        Put: {
          TableName: table.tableName,
          Item: adoptedAttempt(raw, {
            adopted: adopted + 1,
            ...(resolves
              ? {
                  resolution: {
                    at,
                    actor: request.actor,
                    note: `lost POST key ${maskedKey} adopted by ${request.actor}`,
                  },
                }
              : {}),
          }),
          ConditionExpression:
            "attempts = :attempts AND (attribute_not_exists(adoptedKeys) OR adoptedKeys = :adopted)",
          ExpressionAttributeValues: { ":attempts": attempt.attempts, ":adopted": adopted },
        },
      },
      auditPut(table, {
        practiceId,
        at,
        action: "LOST_KEY_ADOPTED",
        actor: request.actor,
        executionName,
        details: { maskedKey, runId: request.runId, attemptResolved: resolves },
      }),
    ]);
    if (written) return { outcome: "adopted", attemptResolved: resolves };
  }
  throw new CandidateRefused(`${maskedKey} changed while it was being adopted: run the command again`);
}

async function getRawItem(
  table: PracticeTable,
  key: Record<string, string>,
): Promise<Record<string, unknown> | undefined> {
  const { Item } = await table.client.send(
    new GetCommand({ TableName: table.tableName, Key: key, ConsistentRead: true }),
  );
  return Item;
}

/** The attempt item with one more adopted key; resolved (out of the open list) when that accounts for all. */
function adoptedAttempt(
  item: Record<string, unknown>,
  change: { adopted: number; resolution?: { at: string; actor: string; note: string } },
): Record<string, unknown> {
  const next: Record<string, unknown> = { ...item, adoptedKeys: change.adopted };
  if (change.resolution) {
    delete next[STATUS_INDEX_PK];
    delete next[STATUS_INDEX_SK];
    next.resolvedAt = change.resolution.at;
    next.resolvedBy = change.resolution.actor;
    next.resolution = change.resolution.note;
  }
  return next;
}

function alreadyAdopted(owner: LedgerEntry, practiceId: string, maskedKey: string): "already-adopted" {
  if (owner.practiceId === practiceId) return "already-adopted";
  throw new CandidateRefused(`${maskedKey} is already in the ledger for practice ${owner.practiceId}`);
}

export type ReleaseRequest = CandidateIdentity & ReleaseDecision;

interface ReleaseDecision {
  readonly runId: string;
  readonly actor: string;
  readonly reason: string;
  readonly now: Date;
}

/** Marks a candidate not ours, for good. `already-released` when it was. */
export async function releaseCandidateKey(
  table: PracticeTable,
  request: ReleaseRequest,
): Promise<{ outcome: "released" | "already-released"; release: KeyRelease }> {
  const { keyFingerprint, maskedKey } = await identify(table, request);
  for (let round = 0; round < 4; round++) {
    const existing = await getRelease(table, keyFingerprint);
    if (existing) return { outcome: "already-released", release: existing };
    const owner = await getKeyOwner(table, keyFingerprint);
    if (owner)
      throw new CandidateRefused(
        `${maskedKey} is in the ledger for practice ${owner.practiceId} (${owner.origin ?? "onboarding"}): it is ours and cannot be released`,
      );
    const release: KeyRelease = {
      maskedKey,
      releasedBy: request.actor,
      releasedAt: request.now.toISOString(),
      reason: request.reason,
      runId: request.runId,
    };
    const written = await tryTransaction(table, [
      {
        Put: {
          TableName: table.tableName,
          Item: { ...keys.releasedKey(keyFingerprint), ...release },
          ConditionExpression: "attribute_not_exists(#pk)",
          ExpressionAttributeNames: { "#pk": PK },
        },
      },
      {
        ConditionCheck: {
          TableName: table.tableName,
          Key: keys.ledgerEntry(keyFingerprint),
          ConditionExpression: "attribute_not_exists(#pk)",
          ExpressionAttributeNames: { "#pk": PK },
        },
      },
    ]);
    if (written) return { outcome: "released", release };
  }
  throw new CandidateRefused(`${maskedKey} changed while it was being released: run the command again`);
}
