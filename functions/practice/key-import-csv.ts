// The rows of an `ops import --file` CSV, checked against the portal's listing before anything is written
// (docs/architecture.md §4, invariant 9: a key is adopted only when the operator's row and the portal agree).
//
// Format: `practiceId,customerKey[,devRefId]`, an optional header line, UTF-8 with or without a BOM, LF or CRLF.
// Any bad row — wrong shape (a quote not closed, a devRefId the webhook would refuse), a key given twice, a practice
// given twice, a key the portal does not list or has disabled, a key the portal labels for someone else — rejects
// the whole file, each named by its line: an
// operator's file that is wrong in one place may be wrong in others, so nothing of it is trusted.
import * as z from "zod/mini";
import { maskKeyTail, redactCustomerKeys } from "../platform/mask.js";
import { isEnabledKeyStatus, type PortalKey } from "../portal/portal-types.js";
import { devRefIdSchema, practiceIdSchema } from "./practice-input.js";

const CUSTOMER_KEY = /^[A-Z0-9]{16}$/;

/** One row that may be imported. */
export interface CsvImportClaim {
  readonly line: number;
  readonly practiceId: string;
  readonly key: PortalKey;
  /** The row's third column, when given: the label the practice should carry. */
  readonly devRefId?: string;
  /** The portal labels the key otherwise than the row, and the operator accepted it. */
  readonly labelMismatchAccepted: boolean;
}

export interface CsvImportPlan {
  readonly claims: readonly CsvImportClaim[];
  /** Bad rows by line number; when any, nothing may be written. */
  readonly errors: ReadonlyArray<{ readonly line: number; readonly message: string }>;
}

export interface CsvImportOptions {
  /** Import rows whose key the portal labels for another practice (`--accept-label-mismatch`). */
  readonly acceptLabelMismatch?: boolean;
  /** How messages show a key: `…W2HD #3f9a1c` when the caller fingerprinted it. @default its last 4, `…W2HD` */
  readonly mask?: (customerKey: string) => string;
}

/**
 * Splits one CSV line into fields, honouring double quotes (`""` inside quotes is a quote); undefined when a quote
 * is opened and never closed (a field cut short or run into the next line: nothing after it can be trusted).
 */
export function csvFields(line: string): string[] | undefined {
  const fields: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        current += '"';
        i++;
      } else if (ch === '"') {
        quoted = false;
      } else {
        current += ch;
      }
    } else if (ch === '"') {
      quoted = true;
    } else if (ch === ",") {
      fields.push(current.trim());
      current = "";
    } else {
      current += ch;
    }
  }
  if (quoted) return undefined;
  fields.push(current.trim());
  return fields;
}

function isHeader(fields: readonly string[] | undefined): boolean {
  return fields?.[0]?.toLowerCase() === "practiceid" && fields[1]?.toLowerCase() === "customerkey";
}

/** A label as messages show it: quoted, a key in it masked (a row's columns may be out of order). */
function shownLabel(label: string): string {
  return JSON.stringify(redactCustomerKeys(label));
}

/**
 * The rows of a CSV text: its non-blank lines but a header, numbered as an editor shows them (BOM dropped, LF
 * or CRLF); `fields` undefined for a line whose quote is not closed.
 */
export function csvRows(csv: string): Array<{ readonly line: number; readonly fields?: string[] }> {
  const rows: Array<{ line: number; fields?: string[] }> = [];
  let seenContent = false;
  const lines = csv.replace(/^\uFEFF/, "").split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    if (raw.trim() === "") continue;
    const fields = csvFields(raw);
    const first = !seenContent;
    seenContent = true;
    if (first && isHeader(fields)) continue;
    rows.push({ line: index + 1, ...(fields === undefined ? {} : { fields }) });
  }
  return rows;
}

/**
 * The label the portal shows for the key is the practice's when it is empty (unlabeled), the practice id, or the
 * DevRefId the row gives. Anything else is another practice's label (or a person's note): a mismatch.
 */
function labelMatches(key: PortalKey, practiceId: string, devRefId: string | undefined): boolean {
  const label = key.devRefId.trim();
  return label === "" || label === practiceId || (devRefId !== undefined && label === devRefId);
}

/** Checks every row of `csv` against `portalKeys`; see the file comment. Never puts a full key in a message. */
export function planCsvImport(
  csv: string,
  portalKeys: readonly PortalKey[],
  options: CsvImportOptions = {},
): CsvImportPlan {
  const byKey = new Map(portalKeys.map((k) => [k.customerKey, k]));
  const errors: Array<{ line: number; message: string }> = [];
  const claims: CsvImportClaim[] = [];
  const lineOfKey = new Map<string, number>();
  const lineOfPractice = new Map<string, number>();
  for (const { line, fields } of csvRows(csv)) {
    const fail = (message: string) => errors.push({ line, message });
    if (fields === undefined) {
      fail("a quoted field is not closed (a quote missing at its end)");
      continue;
    }
    if (fields.length !== 2 && fields.length !== 3) {
      fail(`expected 2 or 3 fields (practiceId,customerKey[,devRefId]), got ${fields.length}`);
      continue;
    }
    const [practiceId, customerKey, devRefIdField] = fields as [string, string, string | undefined];
    const parsed = z.safeParse(practiceIdSchema, practiceId);
    if (!parsed.success) {
      fail(parsed.error.issues[0]!.message);
      continue;
    }
    // The label the record (and, after a repair, the portal) will carry: what the webhook and onboard accept.
    const label =
      devRefIdField === undefined || devRefIdField === ""
        ? undefined
        : z.safeParse(devRefIdSchema, devRefIdField);
    if (label?.success === false) {
      fail(label.error.issues[0]!.message);
      continue;
    }
    const devRefId = label?.data;
    if (!CUSTOMER_KEY.test(customerKey)) {
      fail(`customerKey must be 16 upper-case letters or digits, got ${customerKey.length} characters`);
      continue;
    }
    const masked = (options.mask ?? maskKeyTail)(customerKey);
    const keyLine = lineOfKey.get(customerKey);
    if (keyLine !== undefined) {
      fail(`key ${masked} is already given on line ${keyLine}`);
      continue;
    }
    lineOfKey.set(customerKey, line);
    const practiceLine = lineOfPractice.get(practiceId);
    if (practiceLine !== undefined) {
      fail(`practice ${practiceId} is already given a key on line ${practiceLine}`);
      continue;
    }
    lineOfPractice.set(practiceId, line);
    const key = byKey.get(customerKey);
    if (!key) {
      fail(`key ${masked} is not listed by the portal`);
      continue;
    }
    if (!isEnabledKeyStatus(key.keyStatus)) {
      fail(`key ${masked} is ${key.keyStatus}; only enabled keys can be imported`);
      continue;
    }
    const matches = labelMatches(key, practiceId, devRefId);
    if (!matches && options.acceptLabelMismatch !== true) {
      fail(
        `key ${masked} is labeled ${shownLabel(key.devRefId)} in the portal, not ${practiceId}` +
          `${devRefId === undefined ? "" : ` or ${shownLabel(devRefId)}`}` +
          " (give --accept-label-mismatch to import it anyway)",
      );
      continue;
    }
    claims.push({
      line,
      practiceId,
      key,
      ...(devRefId === undefined ? {} : { devRefId }),
      labelMismatchAccepted: !matches,
    });
  }
  return errors.length > 0 ? { claims: [], errors } : { claims, errors: [] };
}
