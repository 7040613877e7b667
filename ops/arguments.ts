// Argument checks that run while commander parses, before any stack is contacted: a bad value is a usage
// error (exit 2) naming what is wrong. Practice ids go through the same schema the webhook and workflows use.
import { InvalidArgumentError } from "commander";
import * as z from "zod/mini";
import { redactCustomerKeys } from "../functions/platform/mask.js";
import { practiceIdSchema } from "../functions/practice/practice-input.js";
import { UsageError } from "./errors.js";

export function parsePracticeId(value: string): string {
  const result = z.safeParse(practiceIdSchema, value);
  if (result.success) return result.data;
  const message = result.error.issues[0]!.message;
  // commander would quote the value itself ("command-argument value '…' is invalid"): not one holding a key.
  if (redactCustomerKeys(value) !== value) throw new UsageError(message);
  throw new InvalidArgumentError(message);
}

/** A value that must say something (an empty `--run ''` is not "the latest"). */
export function nonEmptyParser(name: string): (value: string) => string {
  return (value) => {
    if (value.trim() === "") throw new InvalidArgumentError(`${name} must not be empty`);
    return value.trim();
  };
}

/** A whole number within [min, max]. */
export function integerParser(name: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(number) || number < min || number > max)
      throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}, got "${value}"`);
    return number;
  };
}

/** Step Functions' execution statuses, for `executions --status`. */
export const EXECUTION_STATUSES = [
  "RUNNING",
  "SUCCEEDED",
  "FAILED",
  "TIMED_OUT",
  "ABORTED",
  "PENDING_REDRIVE",
] as const;
