// Validation of a reconciliation run's input (`{repair?, graceMinutes?, notYetAssignedDays?}`), shared by the
// workflow's first step and `ops reconcile`, so both accept and reject exactly the same thing.
import * as z from "zod/mini";
import { InvalidInput } from "../platform/errors.js";

export const DEFAULT_GRACE_MINUTES = 30;
export const DEFAULT_NOT_YET_ASSIGNED_DAYS = 7;
/** A week: longer than any execution, short enough that a stuck practice is noticed. */
export const MAX_GRACE_MINUTES = 7 * 24 * 60;
export const MAX_NOT_YET_ASSIGNED_DAYS = 365;

export interface ReconciliationRequest {
  /** Repair what can be repaired; false (the default) only reports. */
  readonly repair: boolean;
  /** How old a drift must be before repair acts on it (in-between states, keys of lost POSTs). */
  readonly graceMinutes: number;
  /** Days an ACTIVE practice may go without installing its key before NOT_YET_ASSIGNED is reported. */
  readonly notYetAssignedDays: number;
}

function integerIn(field: string, min: number, max: number) {
  return z.number({ error: (issue) => `${field} must be a number, got ${describe(issue.input)}` }).check(
    z.refine((value) => Number.isInteger(value) && value >= min && value <= max, {
      error: (issue) => `${field} must be a whole number from ${min} to ${max}, got ${describe(issue.input)}`,
    }),
  );
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value === null || typeof value === "number" || typeof value === "boolean") return String(value);
  return Array.isArray(value) ? "array" : typeof value;
}

const requestSchema = z.strictObject(
  {
    repair: z.optional(
      z.boolean({ error: (issue) => `repair must be true or false, got ${describe(issue.input)}` }),
    ),
    graceMinutes: z.optional(integerIn("graceMinutes", 0, MAX_GRACE_MINUTES)),
    notYetAssignedDays: z.optional(integerIn("notYetAssignedDays", 1, MAX_NOT_YET_ASSIGNED_DAYS)),
  },
  {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? `unknown field ${(issue as { keys?: string[] }).keys?.map((k) => JSON.stringify(k)).join(", ")}; ` +
          "a reconciliation takes repair, graceMinutes and notYetAssignedDays"
        : undefined,
  },
);

/**
 * Validates a reconciliation request; defaults: report-only, 30 minutes' grace, 7 days to install a key.
 * Unknown fields are refused: a misspelt `repair` must not silently run report-only (or the reverse).
 * @throws InvalidInput naming the field at fault.
 */
export function parseReconciliationRequest(input: unknown): ReconciliationRequest {
  if (input === undefined || input === null) input = {};
  if (typeof input !== "object" || Array.isArray(input)) {
    throw new InvalidInput(
      `reconciliation input must be an object like {"repair": false}, got ${describe(input)}`,
    );
  }
  const result = z.safeParse(requestSchema, input);
  if (!result.success) throw new InvalidInput(result.error.issues[0]!.message);
  return {
    repair: result.data.repair ?? false,
    graceMinutes: result.data.graceMinutes ?? DEFAULT_GRACE_MINUTES,
    notYetAssignedDays: result.data.notYetAssignedDays ?? DEFAULT_NOT_YET_ASSIGNED_DAYS,
  };
}
