// Adopting keys that already exist in the portal (`ops import`): map each to a practice — by its DevRefId, or
// from a CSV of `practiceId,customerKey` — and record the practice ACTIVE with the key in our ledger
// (`origin: imported`), so reconciliation manages it from then on. Conflicts are reported, never guessed;
// a CSV with any bad row writes nothing (key-import-csv.ts); a dry run writes nothing at all. Nothing is sent to
// the portal.
import { randomUUID } from "node:crypto";
import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import * as z from "zod/mini";
import { keys, PK, STATUS_INDEX_PK, STATUS_INDEX_SK } from "../../contracts/table-schema.js";
import type { KeyFingerprint } from "../key-custody/key-fingerprint.js";
import { maskCustomerKey } from "../key-custody/masked-key.js";
import { maskKeyTail } from "../platform/mask.js";
import { isEnabledKeyStatus, type PortalClient, type PortalKey } from "../portal/portal-types.js";
import { planCsvImport } from "./key-import-csv.js";
import { practiceIdSchema } from "./practice-input.js";
import { shownKeyOf } from "./practice-record.js";
import type { PracticeRecord, PracticeStore } from "./practice-store.js";

export type ImportMode = "devref" | { readonly csv: string };

export interface ImportKeysOptions {
  /** `"devref"`: each enabled key whose DevRefId is a valid practice id; `{csv}`: the rows of a CSV text. */
  readonly mode: ImportMode;
  /** Report what would be imported; write nothing. */
  readonly dryRun: boolean;
  /** CSV: import rows whose key the portal labels for another practice (`--accept-label-mismatch`). */
  readonly acceptLabelMismatch?: boolean;
  readonly portal: Pick<PortalClient, "listKeys">;
  readonly store: PracticeStore;
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Audit actor, e.g. `ops:alice`. @default "ops:import" */
  readonly actor?: string;
  readonly now?: () => Date;
}

export type ImportConflictKind =
  /** Two enabled keys carry the practice's id as DevRefId. */
  | "PRACTICE_HAS_TWO_KEYS"
  /** The table already has this practice (with another key, or none, or in another state). */
  | "PRACTICE_EXISTS"
  /** Our ledger already maps the key to a practice. */
  | "KEY_ALREADY_MAPPED"
  /** The table changed while importing (a concurrent onboarding): nothing written for this practice. */
  | "CHANGED_WHILE_IMPORTING";

export interface ImportConflict {
  readonly kind: ImportConflictKind;
  readonly practiceIds: readonly string[];
  readonly maskedKeys: readonly string[];
  readonly message: string;
}

export interface ImportedPractice {
  readonly practiceId: string;
  readonly maskedKey: string;
  readonly devRefId: string;
}

export interface ImportResult {
  readonly mode: "devref" | "csv";
  readonly dryRun: boolean;
  /** Practices recorded ACTIVE (or, in a dry run, that would be). */
  readonly imported: readonly ImportedPractice[];
  /** Practices already ACTIVE with exactly this key: nothing to do. */
  readonly alreadyImported: readonly ImportedPractice[];
  readonly conflicts: readonly ImportConflict[];
  /** Keys not considered (devref: unlabeled, DevRefId not a practice id, disabled), masked, with why. */
  readonly skipped: ReadonlyArray<{ readonly maskedKey: string; readonly reason: string }>;
  /** CSV rows that are wrong, by line number; when any, nothing was written. */
  readonly errors: ReadonlyArray<{ readonly line: number; readonly message: string }>;
  /** Whether anything was written to the table. */
  readonly written: boolean;
}

interface Claim {
  readonly practiceId: string;
  readonly key: PortalKey;
  /** CSV: the label the row gives the practice. */
  readonly devRefId?: string;
  /** CSV: the operator accepted a key the portal labels otherwise (recorded in the audit entry). */
  readonly labelMismatchAccepted?: boolean;
}

/** Maps existing portal keys to practices and records them; see ImportKeysOptions. */
export async function importKeys(options: ImportKeysOptions): Promise<ImportResult> {
  const mode = options.mode === "devref" ? "devref" : "csv";
  const portalKeys = await options.portal.listKeys();
  const mask = await maskerOf(options.store, portalKeys);
  const base = { mode, dryRun: options.dryRun } as const;
  const planned =
    options.mode === "devref"
      ? claimsByDevRefId(portalKeys, mask)
      : claimsFromCsv(options.mode.csv, portalKeys, options.acceptLabelMismatch === true, mask);
  if (planned.errors.length > 0) {
    return {
      ...base,
      imported: [],
      alreadyImported: [],
      conflicts: [],
      skipped: planned.skipped,
      errors: planned.errors,
      written: false,
    };
  }
  const conflicts: ImportConflict[] = [...planned.conflicts];
  const imported: ImportedPractice[] = [];
  const alreadyImported: ImportedPractice[] = [];
  const ready: Claim[] = [];
  for (const claim of planned.claims) {
    const entry = toImported(claim, mask);
    const practice = await options.store.getPractice(claim.practiceId);
    const keyFingerprint = await options.store.fingerprint(claim.key.customerKey);
    const owner = await options.store.getKeyOwner(keyFingerprint);
    if (practice?.status === "ACTIVE" && practice.keyFingerprint === keyFingerprint) {
      alreadyImported.push(entry);
    } else if (practice) {
      conflicts.push(practiceExists(claim, practice, mask));
    } else if (owner) {
      conflicts.push({
        kind: "KEY_ALREADY_MAPPED",
        practiceIds: [claim.practiceId, owner.practiceId],
        maskedKeys: [entry.maskedKey],
        message: `key ${entry.maskedKey} is already in our ledger for practice ${owner.practiceId}`,
      });
    } else {
      ready.push(claim);
    }
  }
  let written = false;
  for (const claim of ready) {
    if (options.dryRun) {
      imported.push(toImported(claim, mask));
      continue;
    }
    const recorded = await recordImported(options, claim, mask);
    if (recorded) {
      imported.push(toImported(claim, mask));
      written = true;
    } else {
      conflicts.push({
        kind: "CHANGED_WHILE_IMPORTING",
        practiceIds: [claim.practiceId],
        maskedKeys: [mask(claim.key.customerKey)],
        message: `practice ${claim.practiceId} or key ${mask(claim.key.customerKey)} appeared in the table while importing; nothing written for it`,
      });
    }
  }
  return { ...base, imported, alreadyImported, conflicts, skipped: planned.skipped, errors: [], written };
}

/** Shows a key `…W2HD #3f9a1c` (docs/architecture.md §4 invariant 13). */
type KeyMasker = (customerKey: string) => string;

/**
 * Fingerprints every listed key once (ops import is where they are first seen), so every message shows them in
 * the masked form; a key the portal does not list (a CSV row's) shows its last 4 only.
 */
async function maskerOf(store: PracticeStore, portalKeys: readonly PortalKey[]): Promise<KeyMasker> {
  const fingerprints = new Map<string, KeyFingerprint>();
  for (const { customerKey } of portalKeys)
    fingerprints.set(customerKey, await store.fingerprint(customerKey));
  return (customerKey) => {
    const fingerprint = fingerprints.get(customerKey);
    return fingerprint ? maskCustomerKey(customerKey, fingerprint) : maskKeyTail(customerKey);
  };
}

function toImported(claim: Claim, mask: KeyMasker): ImportedPractice {
  return {
    practiceId: claim.practiceId,
    maskedKey: mask(claim.key.customerKey),
    devRefId: recordDevRefId(claim),
  };
}

/**
 * The record's DevRefId: the CSV row's, else the portal's label, else the practice id for an unlabeled key
 * (reconciliation's repair labels the key when they differ).
 */
function recordDevRefId(claim: Claim): string {
  if (claim.devRefId !== undefined) return claim.devRefId;
  return claim.key.devRefId.trim() === "" ? claim.practiceId : claim.key.devRefId;
}

function practiceExists(claim: Claim, practice: PracticeRecord, mask: KeyMasker): ImportConflict {
  const masked = mask(claim.key.customerKey);
  const held = practice.customerKey || practice.maskedKey ? shownKeyOf(practice) : undefined;
  const holds = held ? `holds key ${held}` : "holds no key";
  return {
    kind: "PRACTICE_EXISTS",
    practiceIds: [claim.practiceId],
    maskedKeys: [masked, ...(held ? [held] : [])],
    message: `practice ${claim.practiceId} is already ${practice.status} and ${holds}; key ${masked} not imported`,
  };
}

interface Planned {
  readonly claims: Claim[];
  readonly conflicts: ImportConflict[];
  readonly skipped: Array<{ maskedKey: string; reason: string }>;
  readonly errors: Array<{ line: number; message: string }>;
}

function claimsByDevRefId(portalKeys: readonly PortalKey[], mask: KeyMasker): Planned {
  const skipped: Planned["skipped"] = [];
  const byPractice = new Map<string, PortalKey[]>();
  for (const key of portalKeys) {
    const maskedKey = mask(key.customerKey);
    if (key.devRefId === "") {
      skipped.push({ maskedKey, reason: "unlabeled (DevRefId is empty)" });
    } else if (!isEnabledKeyStatus(key.keyStatus)) {
      skipped.push({ maskedKey, reason: `${key.keyStatus}: only enabled keys are imported` });
    } else if (!z.safeParse(practiceIdSchema, key.devRefId).success) {
      skipped.push({
        maskedKey,
        reason: `DevRefId ${JSON.stringify(key.devRefId)} is not a valid practice id`,
      });
    } else {
      byPractice.set(key.devRefId, [...(byPractice.get(key.devRefId) ?? []), key]);
    }
  }
  const claims: Claim[] = [];
  const conflicts: ImportConflict[] = [];
  for (const [practiceId, keysOfPractice] of byPractice) {
    if (keysOfPractice.length === 1) {
      claims.push({ practiceId, key: keysOfPractice[0]! });
    } else {
      conflicts.push(twoKeys(practiceId, keysOfPractice, "carry DevRefId", mask));
    }
  }
  return { claims, conflicts, skipped, errors: [] };
}

function twoKeys(
  practiceId: string,
  keysOfPractice: readonly PortalKey[],
  how: string,
  mask: KeyMasker,
): ImportConflict {
  const maskedKeys = keysOfPractice.map((k) => mask(k.customerKey));
  return {
    kind: "PRACTICE_HAS_TWO_KEYS",
    practiceIds: [practiceId],
    maskedKeys,
    message: `${maskedKeys.length} keys ${how} ${practiceId} (${maskedKeys.join(", ")}); none imported`,
  };
}

function claimsFromCsv(
  csv: string,
  portalKeys: readonly PortalKey[],
  acceptLabelMismatch: boolean,
  mask: KeyMasker,
): Planned {
  const plan = planCsvImport(csv, portalKeys, { acceptLabelMismatch, mask });
  const claims = plan.claims.map(({ practiceId, key, devRefId, labelMismatchAccepted }) => ({
    practiceId,
    key,
    ...(devRefId === undefined ? {} : { devRefId }),
    labelMismatchAccepted,
  }));
  return { claims, conflicts: [], skipped: [], errors: [...plan.errors] };
}

/** Practice ACTIVE, key in the ledger (origin imported), audit `imported` — one transaction, both new. */
async function recordImported(options: ImportKeysOptions, claim: Claim, mask: KeyMasker): Promise<boolean> {
  const now = (options.now?.() ?? new Date()).toISOString();
  const actor = options.actor ?? "ops:import";
  const { customerKey } = claim.key;
  const maskedKey = mask(customerKey);
  const keyFingerprint = await options.store.fingerprint(customerKey);
  // Only the ciphertext is written (docs/architecture.md §4 invariant 13).
  const storedKey = await options.store.encryptCustomerKey(customerKey, claim.practiceId);
  const devRefId = recordDevRefId(claim);
  const executionName = `import-${now.replace(/[^0-9]/g, "").slice(0, 14)}`;
  const auditId = randomUUID();
  try {
    await options.client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: options.tableName,
              Item: {
                ...keys.practice(claim.practiceId),
                [STATUS_INDEX_PK]: "ACTIVE",
                [STATUS_INDEX_SK]: claim.practiceId,
                practiceId: claim.practiceId,
                devRefId,
                status: "ACTIVE",
                version: 1,
                lastExecution: executionName,
                requestedBy: actor,
                onboardingKind: "new",
                customerKey: storedKey,
                maskedKey,
                keyFingerprint,
                keyCreatedBy: "import",
                createdAt: now,
                updatedAt: now,
                activatedAt: now,
              },
              ConditionExpression: "attribute_not_exists(#pk)",
              ExpressionAttributeNames: { "#pk": PK },
            },
          },
          {
            Put: {
              TableName: options.tableName,
              Item: {
                ...keys.ledgerEntry(keyFingerprint),
                keyFingerprint,
                maskedKey,
                practiceId: claim.practiceId,
                createdBy: "import",
                createdAt: now,
                confirmedAt: now,
                origin: "imported",
              },
              ConditionExpression: "attribute_not_exists(#pk)",
              ExpressionAttributeNames: { "#pk": PK },
            },
          },
          {
            Put: {
              TableName: options.tableName,
              Item: {
                ...keys.audit(claim.practiceId, now, auditId),
                practiceId: claim.practiceId,
                at: now,
                id: auditId,
                action: "imported",
                actor,
                executionName,
                details: {
                  maskedKey,
                  devRefId,
                  portalDevRefId: claim.key.devRefId,
                  keyStatus: claim.key.keyStatus,
                  dateCreated: claim.key.dateCreated,
                  ...(claim.labelMismatchAccepted ? { labelMismatchAccepted: true } : {}),
                },
              },
            },
          },
        ],
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof TransactionCanceledException) return false;
    throw error;
  }
}

/** Plain-text summary for `ops import`. Never a full key. */
export function formatImportResult(result: ImportResult): string {
  const lines = [
    `Import by ${result.mode === "devref" ? "DevRefId" : "CSV"}${result.dryRun ? " (dry run: nothing written)" : ""}`,
  ];
  if (result.errors.length > 0) {
    lines.push(`${result.errors.length} bad row(s); nothing was imported:`);
    for (const error of result.errors) lines.push(`  line ${error.line}: ${error.message}`);
    return lines.join("\n");
  }
  const verb = result.dryRun ? "would import" : "imported";
  lines.push(
    `${result.imported.length} ${verb}, ${result.alreadyImported.length} already imported, ${result.conflicts.length} conflict(s), ${result.skipped.length} skipped`,
  );
  for (const p of result.imported)
    lines.push(`  + ${p.practiceId}: key ${p.maskedKey} (DevRefId ${JSON.stringify(p.devRefId)})`);
  for (const p of result.alreadyImported) lines.push(`  = ${p.practiceId}: key ${p.maskedKey}`);
  for (const c of result.conflicts) lines.push(`  ! ${c.kind}: ${c.message}`);
  return lines.join("\n");
}
