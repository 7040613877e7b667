import { describe, expect, it } from "vitest";
import { InvalidInput } from "../../../functions/platform/errors.js";
import { parseReconciliationRequest } from "../../../functions/reconciliation/reconciliation-input.js";

describe("parseReconciliationRequest", () => {
  it.each([[{}], [undefined], [null]])("defaults to report-only, 30 minutes' grace, 7 days (%j)", (input) => {
    expect(parseReconciliationRequest(input)).toEqual({
      repair: false,
      graceMinutes: 30,
      notYetAssignedDays: 7,
    });
  });

  it("keeps every field given", () => {
    expect(parseReconciliationRequest({ repair: true, graceMinutes: 0, notYetAssignedDays: 14 })).toEqual({
      repair: true,
      graceMinutes: 0,
      notYetAssignedDays: 14,
    });
  });

  it.each([
    [{ repair: "yes" }, 'repair must be true or false, got "yes"'],
    [{ graceMinutes: -1 }, "graceMinutes must be a whole number from 0 to 10080, got -1"],
    [{ graceMinutes: 1.5 }, "graceMinutes must be a whole number from 0 to 10080, got 1.5"],
    [{ graceMinutes: "30" }, 'graceMinutes must be a number, got "30"'],
    [{ notYetAssignedDays: 0 }, "notYetAssignedDays must be a whole number from 1 to 365, got 0"],
    [
      { repair: true, dryRun: true },
      'unknown field "dryRun"; a reconciliation takes repair, graceMinutes and notYetAssignedDays',
    ],
    [[], 'reconciliation input must be an object like {"repair": false}, got array'],
    ["repair", 'reconciliation input must be an object like {"repair": false}, got "repair"'],
  ])("refuses %j: %s", (input, message) => {
    expect(() => parseReconciliationRequest(input)).toThrow(new InvalidInput(message));
  });
});
