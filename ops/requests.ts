// The requests ops commands send, checked before any stack is contacted (a bad one is a usage error, exit 2).
// Kept free of SDK imports so usage errors and --help answer fast.
import { existsSync } from "node:fs";
import {
  type OffboardingRequest,
  parseOffboardingRequest,
} from "../functions/offboarding/offboarding-input.js";
import { InvalidInput } from "../functions/platform/errors.js";
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

export type ImportSource = { readonly kind: "devref" } | { readonly kind: "file"; readonly path: string };

export function validateImport(options: ImportOptions): ImportSource {
  if (options.match !== undefined && options.file !== undefined)
    throw new UsageError("give either --match devref or --file <csv>, not both");
  if (options.file !== undefined) {
    if (!existsSync(options.file)) throw new UsageError(`--file ${options.file} does not exist`);
    return { kind: "file", path: options.file };
  }
  if (options.acceptLabelMismatch === true)
    throw new UsageError("--accept-label-mismatch applies to --file <csv> only");
  if (options.match !== undefined && options.match !== "devref")
    throw new UsageError(`--match must be "devref", got "${options.match}"`);
  return { kind: "devref" };
}
