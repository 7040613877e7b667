// `ops migrate-keys`, masked keys: rewrites every stored masked key of the old form `QJXZ…W2HD` (8 characters of
// the key) into the one shown form `…W2HD #3f9a1c` (docs/architecture.md §4 invariant 13) — practice records,
// ledger entries, releases, create attempts, the installation, audit details, reasons and reports alike. A masked
// key is rewritten from its own last 4 and its key's fingerprint, found beside it (the record's `keyFingerprint`,
// the ledger's address) or on the practice's record; one whose key is not known there shows its last 4 only,
// `…W2HD`. No key is needed when a fingerprint is stored, so it works on records whose key is encrypted.
// Called item by item from key-migration.ts's scan, so it is resumable with the same cursor; idempotent: every
// write is conditional on the attribute still holding the old value, and a rewritten value is not of the old form.
import { GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { keys, PK, SK } from "../../contracts/table-schema.js";
import { isKeyFingerprint, type KeyFingerprint } from "../key-custody/key-fingerprint.js";
import { currentMaskedKey, isLegacyMaskedKey } from "../key-custody/masked-key.js";
import { fingerprintOf, type PracticeTable } from "./practice-table.js";

/** The old form inside any text (a reason, a report note): first 4, an ellipsis, last 4. */
const LEGACY_IN_TEXT = /(?<![A-Za-z0-9])[A-Z0-9]{4}…([A-Z0-9]{4})(?![A-Za-z0-9])/g;
/** A key as the portal issues it: the stored plaintext, fingerprinted when no fingerprint is stored beside it. */
const PLAIN_KEY = /^[A-Z0-9]{16}$/;
/** Attributes never rewritten: the item's address, and the key itself (its custody is key-migration.ts's). */
const UNTOUCHED = new Set([PK, SK, "customerKey", "previousCustomerKey"]);

/** Old masked form → new, for the keys an item's context knows. */
type KnownMasks = Map<string, string>;

/** Remembers the practice whose record was read last (a scan returns a partition's items together). */
export interface MaskedKeyMigrationCache {
  practiceId?: string;
  known?: KnownMasks;
}

/**
 * Rewrites the item's old-form masked keys, if it holds any. Skips the old-shape items key-migration.ts moves
 * or deletes (`KEY#<customerKey>`, `SEEN#<customerKey>`): their replacements are written in the new form.
 * @returns 1 when the item was rewritten, 0 otherwise (nothing old, or another writer changed it first).
 */
export async function migrateMaskedKeysOf(
  table: PracticeTable,
  item: Record<string, unknown>,
  cache: MaskedKeyMigrationCache = {},
): Promise<number> {
  const pk = String(item[PK]);
  const sk = String(item[SK]);
  if (pk.startsWith("KEY#") && !isKeyFingerprint(pk.slice(4))) return 0;
  if (pk.startsWith("RECON#") && sk.startsWith("SEEN#") && !isKeyFingerprint(sk.slice(5))) return 0;
  if (!holdsLegacyMask(item)) return 0;
  const known = await knownMasks(table, item, cache);
  const changed = Object.entries(item).flatMap(([name, value]) => {
    if (UNTOUCHED.has(name)) return [];
    const rewritten = rewrite(value, name, known);
    return rewritten === value ? [] : [{ name, before: value, after: rewritten }];
  });
  if (changed.length === 0) return 0;
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  changed.forEach(({ name, before, after }, i) => {
    names[`#a${i}`] = name;
    values[`:old${i}`] = before;
    values[`:new${i}`] = after;
  });
  try {
    await table.client.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: { [PK]: item[PK], [SK]: item[SK] },
        UpdateExpression: `SET ${changed.map((_, i) => `#a${i} = :new${i}`).join(", ")}`,
        ConditionExpression: changed.map((_, i) => `#a${i} = :old${i}`).join(" AND "),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
    return 1;
  } catch (error) {
    // A workflow (or another run) changed the item since it was read: it writes the new form itself.
    if ((error as { name?: string }).name === "ConditionalCheckFailedException") return 0;
    throw error;
  }
}

function holdsLegacyMask(value: unknown, name = ""): boolean {
  if (UNTOUCHED.has(name)) return false;
  if (typeof value === "string")
    return (/maskedKey$/i.test(name) && isLegacyMaskedKey(value)) || new RegExp(LEGACY_IN_TEXT).test(value);
  if (Array.isArray(value)) return value.some((v) => holdsLegacyMask(v, name));
  if (value && typeof value === "object")
    return Object.entries(value).some(([child, v]) => holdsLegacyMask(v, child));
  return false;
}

/** `value` with every old-form masked key in the new form (a copy; the same value when nothing changed). */
function rewrite(value: unknown, name: string, known: KnownMasks): unknown {
  if (typeof value === "string") {
    if (/maskedKey$/i.test(name) && isLegacyMaskedKey(value))
      return known.get(value) ?? currentMaskedKey(value, undefined);
    return value.replace(LEGACY_IN_TEXT, (old, tail: string) => known.get(old) ?? `…${tail}`);
  }
  if (Array.isArray(value)) {
    const out = value.map((v) => rewrite(v, name, known));
    return out.some((v, i) => v !== value[i]) ? out : value;
  }
  if (value && typeof value === "object") {
    if (UNTOUCHED.has(name)) return value;
    let changed = false;
    const out = Object.fromEntries(
      Object.entries(value).map(([child, v]) => {
        const after = UNTOUCHED.has(child) ? v : rewrite(v, child, known);
        if (after !== v) changed = true;
        return [child, after];
      }),
    );
    return changed ? out : value;
  }
  return value;
}

/**
 * The old → new masks the item's context knows: its own (a record's keys, a ledger entry's or release's address,
 * a candidate's fingerprint) and, for any item of a practice, that practice's record's.
 */
async function knownMasks(
  table: PracticeTable,
  item: Record<string, unknown>,
  cache: MaskedKeyMigrationCache,
): Promise<KnownMasks> {
  const known: KnownMasks = new Map();
  const pk = String(item[PK]);
  const address = pk.startsWith("KEY#") ? pk.slice(4) : undefined;
  const addressed = isKeyFingerprint(address) ? address : undefined;
  await learn(table, known, item.maskedKey, item.keyFingerprint ?? addressed, item.customerKey);
  await learn(table, known, item.previousMaskedKey, item.previousKeyFingerprint, item.previousCustomerKey);
  if (pk.startsWith("PRACTICE#")) {
    const practiceId = pk.slice("PRACTICE#".length);
    if (cache.practiceId !== practiceId || !cache.known) {
      cache.practiceId = practiceId;
      cache.known = await recordMasks(table, practiceId);
    }
    for (const [old, now] of cache.known) if (!known.has(old)) known.set(old, now);
  }
  return known;
}

async function recordMasks(table: PracticeTable, practiceId: string): Promise<KnownMasks> {
  const known: KnownMasks = new Map();
  const { Item: record } = await table.client.send(
    new GetCommand({ TableName: table.tableName, Key: keys.practice(practiceId), ConsistentRead: true }),
  );
  if (!record) return known;
  await learn(table, known, record.maskedKey, record.keyFingerprint, record.customerKey);
  await learn(
    table,
    known,
    record.previousMaskedKey,
    record.previousKeyFingerprint,
    record.previousCustomerKey,
  );
  return known;
}

/** Adds `old → new` for one stored masked key, with its fingerprint (stored, or computed from a plaintext key). */
async function learn(
  table: PracticeTable,
  known: KnownMasks,
  stored: unknown,
  fingerprint: unknown,
  customerKey: unknown,
): Promise<void> {
  if (!isLegacyMaskedKey(stored)) return;
  let keyFingerprint: KeyFingerprint | undefined = isKeyFingerprint(fingerprint) ? fingerprint : undefined;
  if (!keyFingerprint && typeof customerKey === "string" && PLAIN_KEY.test(customerKey))
    keyFingerprint = await fingerprintOf(table, customerKey);
  // Without a fingerprint nothing is learnt: the practice's record may still know the key.
  if (keyFingerprint) known.set(stored, currentMaskedKey(stored, keyFingerprint)!);
}
