import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  executionNameForWebhook,
  MAX_EXECUTION_NAME_LENGTH,
  sanitizeWebhookId,
} from "../../../functions/webhook/webhook-execution-name.js";

const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;

describe("executionNameForWebhook", () => {
  it("uses crm-<id> for an id that is already safe and short", () => {
    expect(executionNameForWebhook("msg_2LJx8PzQf3")).toBe("crm-msg_2LJx8PzQf3");
  });

  it("strips unsafe characters and appends a hash of the original id", () => {
    expect(executionNameForWebhook("msg.2LJ/x8")).toBe("crm_msg2LJx8_3791adcd41e35c28");
  });

  it("cuts a long id and appends a hash so the name stays within 80 characters", () => {
    const name = executionNameForWebhook("a".repeat(200));
    expect(name).toBe(`crm_${"a".repeat(59)}_${name.slice(-16)}`);
    expect(name).toHaveLength(MAX_EXECUTION_NAME_LENGTH);
  });

  it("keeps an id of exactly 76 safe characters as it is", () => {
    expect(executionNameForWebhook("b".repeat(76))).toBe(`crm-${"b".repeat(76)}`);
  });

  it("gives distinct names to ids that differ only in stripped characters", () => {
    const names = ["msg1", "msg.1", "msg:1", "msg 1", "msg/1", ".msg1"].map(executionNameForWebhook);
    expect(new Set(names).size).toBe(6);
  });

  it("names an id made only of unsafe characters", () => {
    expect(executionNameForWebhook("...")).toMatch(/^crm__[0-9a-f]{16}$/);
  });

  it("returns at most 80 characters of [A-Za-z0-9_-], the same for the same id, for any id", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 300, unit: "binary" }), (id) => {
        const name = executionNameForWebhook(id);
        expect(name).toMatch(EXECUTION_NAME);
        expect(executionNameForWebhook(id)).toBe(name);
      }),
      { numRuns: 1000 },
    );
  });

  it("never gives two different ids the same name", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 120, unit: "binary" }),
        fc.string({ minLength: 1, maxLength: 120, unit: "binary" }),
        (a, b) => {
          fc.pre(a !== b);
          expect(executionNameForWebhook(a)).not.toBe(executionNameForWebhook(b));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("never lets a safe id produce a name a hashed id could take", () => {
    const safeId = fc.stringMatching(/^[A-Za-z0-9_-]{1,76}$/);
    fc.assert(
      fc.property(safeId, (id) => {
        expect(executionNameForWebhook(id).startsWith("crm-")).toBe(true);
      }),
    );
    expect(executionNameForWebhook("msg.1").startsWith("crm_")).toBe(true);
  });
});

describe("sanitizeWebhookId", () => {
  it("removes every character outside [A-Za-z0-9_-]", () => {
    expect(sanitizeWebhookId("msg_1.2:3 é/-x")).toBe("msg_123-x");
  });
});
