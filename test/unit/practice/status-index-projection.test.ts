// The status index projects an explicit attribute list (contracts/table-schema.ts) so that no CustomerKey — not
// even its ciphertext — is copied into it (docs/architecture.md §4 invariant 13). The list lives in contracts/,
// which may not import the readers, so this test holds it to what each reader of the index maps: a practice
// record (keys left out), a reconciliation run summary, an open create attempt.
import { describe, expect, it } from "vitest";
import { STATUS_INDEX_ATTRIBUTES } from "../../../contracts/table-schema.js";
import { ATTEMPT_ATTRIBUTES } from "../../../functions/practice/create-attempts.js";
import { PRACTICE_ATTRIBUTES } from "../../../functions/practice/practice-record.js";
import { SUMMARY_ATTRIBUTES } from "../../../functions/practice/reconciliation-runs.js";

const KEY_ATTRIBUTES = ["customerKey", "previousCustomerKey"];
const projected = new Set<string>(STATUS_INDEX_ATTRIBUTES);

describe("the status index's projection", () => {
  it("never projects a key attribute", () => {
    expect(STATUS_INDEX_ATTRIBUTES.filter((name) => KEY_ATTRIBUTES.includes(name))).toEqual([]);
  });

  it.each([
    ["practice records", PRACTICE_ATTRIBUTES.filter((name) => !KEY_ATTRIBUTES.includes(name))],
    ["reconciliation run summaries", SUMMARY_ATTRIBUTES],
    ["open create attempts", ATTEMPT_ATTRIBUTES],
  ] as const)("projects every attribute the reader of %s maps", (_, attributes) => {
    expect(attributes.filter((name) => !projected.has(name))).toEqual([]);
  });

  it("projects nothing no reader maps", () => {
    const read = new Set<string>([...PRACTICE_ATTRIBUTES, ...SUMMARY_ATTRIBUTES, ...ATTEMPT_ATTRIBUTES]);
    expect(STATUS_INDEX_ATTRIBUTES.filter((name) => !read.has(name))).toEqual([]);
  });
});
