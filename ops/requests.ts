// The requests ops commands send, checked before any stack is contacted (a bad one is a usage error, exit 2).
// Kept free of SDK imports so usage errors and --help answer fast.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import {
  type OffboardingRequest,
  parseOffboardingRequest,
} from "../functions/offboarding/offboarding-input.js";
import { InvalidInput } from "../functions/platform/errors.js";
import { csvRows } from "../functions/practice/key-import-csv.js";
import { type OnboardingRequest, parseOnboardingRequest } from "../functions/practice/practice-input.js";
import { UsageError } from "./errors.js";
import { opsRequester } from "./execution-names.js";

export type { OnboardingRequest };

export interface OnboardOptions {
  readonly devRefId?: string;
  readonly wait?: boolean;
}

/**
 * Checks the request exactly as the workflow will. It carries the CLI's clock as `issuedAt`: a request issued at
 * or before the practice's last transition ends Stale (functions/practice/request-order.ts).
 */
export function validateOnboard(practiceId: string, options: OnboardOptions): OnboardingRequest {
  try {
    return parseOnboardingRequest({
      practiceId,
      devRefId: options.devRefId,
      requestedBy: opsRequester(),
      issuedAt: new Date().toISOString(),
    });
  } catch (error) {
    if (error instanceof InvalidInput)
      throw new UsageError(error.message.replace(/^devRefId/, "--dev-ref-id"));
    throw error;
  }
}

export interface OffboardOptions {
  readonly reason: string;
  readonly wait?: boolean;
}

export type { OffboardingRequest as OffboardRequest };

/**
 * Checks the request exactly as the workflow's first step will (functions/offboarding/offboarding-input.ts), with
 * the CLI's clock as `issuedAt` (the ordering rule, as for onboard).
 */
export function validateOffboard(practiceId: string, options: OffboardOptions): OffboardingRequest {
  try {
    return parseOffboardingRequest({
      practiceId,
      reason: options.reason,
      requestedBy: opsRequester(),
      issuedAt: new Date().toISOString(),
    });
  } catch (error) {
    if (error instanceof InvalidInput) throw new UsageError(error.message.replace(/^reason/, "--reason"));
    throw error;
  }
}

export interface ReconcileOptions {
  readonly repair?: boolean;
  readonly wait?: boolean;
  /** A run id, or true for the latest run. */
  readonly show?: string | true;
  readonly graceMinutes?: number;
}

export function validateReconcile(options: ReconcileOptions): ReconcileOptions {
  if (options.show !== undefined && (options.repair || options.wait || options.graceMinutes !== undefined))
    throw new UsageError(
      "--show reads a stored run: it cannot be combined with --repair, --wait or --grace-minutes",
    );
  return options;
}

export interface ImportOptions {
  readonly match?: string;
  readonly file?: string;
  readonly dryRun?: boolean;
  readonly acceptLabelMismatch?: boolean;
}

export type ImportSource =
  | { readonly kind: "devref" }
  | { readonly kind: "file"; readonly path: string; readonly csv: string };

/** Largest `--file`: ~30,000 rows of the longest practice ids and labels, far beyond any practice list. */
const MAX_CSV_BYTES = 10 * 1024 * 1024;
const MiB = 1024 * 1024;

/** The bytes of `--file`, at most MAX_CSV_BYTES of them (a pipe such as `<(…)` is read as far as that). */
function readCsvBytes(path: string): Buffer {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new UsageError(`--file ${path} does not exist`);
    throw new UsageError(`could not read --file ${path}: ${code ?? (error as Error).message}`);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new UsageError(`--file ${path} is a directory, not a CSV file`);
    const tooLarge = (size: string) =>
      new UsageError(`--file ${path} is ${size}; a CSV of practices is at most ${MAX_CSV_BYTES / MiB} MiB`);
    if (stat.isFile() && stat.size > MAX_CSV_BYTES) throw tooLarge(`${(stat.size / MiB).toFixed(1)} MiB`);
    const buffer = Buffer.alloc(MAX_CSV_BYTES + 1);
    let length = 0;
    for (;;) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
      if (length > MAX_CSV_BYTES) throw tooLarge(`over ${MAX_CSV_BYTES / MiB} MiB`);
    }
    return buffer.subarray(0, length);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(
      `could not read --file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  } finally {
    closeSync(fd);
  }
}

/**
 * `--file` as text, or a usage error before anything is contacted: a directory, a file too large, text that is
 * not UTF-8 (Excel's default "CSV" is Windows-1252: decoded as UTF-8 its accents would become U+FFFD in the
 * labels written to the table), or a file without a row.
 */
function readCsvFile(path: string): string {
  let csv: string;
  try {
    csv = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(readCsvBytes(path));
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(
      `--file ${path} is not UTF-8 text: save it as CSV UTF-8 (Excel: Save As, "CSV UTF-8")`,
    );
  }
  if (csvRows(csv).length === 0)
    throw new UsageError(`--file ${path} has no rows (practiceId,customerKey[,devRefId])`);
  return csv;
}

export function validateImport(options: ImportOptions): ImportSource {
  if (options.match !== undefined && options.file !== undefined)
    throw new UsageError("give either --match devref or --file <csv>, not both");
  if (options.file !== undefined) return { kind: "file", path: options.file, csv: readCsvFile(options.file) };
  if (options.acceptLabelMismatch === true)
    throw new UsageError("--accept-label-mismatch applies to --file <csv> only");
  if (options.match !== undefined && options.match !== "devref")
    throw new UsageError(`--match must be "devref", got "${options.match}"`);
  return { kind: "devref" };
}
