// Step Functions retries a Lambda Task by the error's name (the Lambda errorType) only when a Retry lists it: an
// error declaring itself retryable must be listed, or its first occurrence fails the Task.
import { describe, expect, it } from "vitest";
import { RETRYABLE_ERROR_NAMES } from "../../../contracts/error-names.js";
import * as custodyErrors from "../../../functions/key-custody/key-custody-errors.js";
import * as platformErrors from "../../../functions/platform/errors.js";

type ErrorClass = new (message: string) => Error & { retryable?: boolean };

function retryableNames(module: Record<string, unknown>): string[] {
  return Object.values(module)
    .filter((value): value is ErrorClass => typeof value === "function" && value.prototype instanceof Error)
    .filter((cls) => !Object.is(cls, platformErrors.AppError))
    .map((cls) => new cls("probe"))
    .filter((error) => error.retryable === true)
    .map((error) => error.name);
}

describe("RETRYABLE_ERROR_NAMES", () => {
  it("lists every error that declares itself retryable, key custody's included", () => {
    const names = [...retryableNames(platformErrors), ...retryableNames(custodyErrors)];
    expect(names).toContain("KeyCustodyUnavailable");
    expect([...RETRYABLE_ERROR_NAMES].sort()).toEqual([...new Set(names)].sort());
  });
});
