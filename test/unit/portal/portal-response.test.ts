import { describe, expect, it } from "vitest";
import { joinUrl, parseRetryAfter } from "../../../functions/portal/portal-client.js";
import {
  describeNonJsonBody,
  explanationFromBody,
  parsePortalKey,
  parsePortalKeyList,
} from "../../../functions/portal/portal-response.js";
import { SEED_GET_RESPONSE, SEED_POST_RESPONSE, SEED_PUT_RESPONSE } from "../../fixtures/seed-examples.js";

describe("parsePortalKeyList", () => {
  it("parses the seed's GET example, turning sentinel dates into null", () => {
    expect(parsePortalKeyList(SEED_GET_RESPONSE)).toEqual({
      ok: true,
      value: [
        {
          customerKey: "QJXZR4PNK5B8W2HD",
          keyStatus: "DisabledByDeveloper",
          dateCreated: "2022-05-25",
          dateDisabled: "2025-08-29",
          dateTimeAssigned: "2022-06-22 03:37:33",
          devRefId: "Sarah's Super Dental",
        },
        {
          customerKey: "AAM2DYNOLF0F7ZUD",
          keyStatus: "Enabled",
          dateCreated: "2024-12-04",
          dateDisabled: null,
          dateTimeAssigned: null,
          devRefId: "",
        },
        {
          customerKey: "93R8TEL22OI4UPYX",
          keyStatus: "Enabled",
          dateCreated: "2024-12-04",
          dateDisabled: null,
          dateTimeAssigned: null,
          devRefId: "",
        },
        {
          customerKey: "565ATSAH4SZDUTTK",
          keyStatus: "Enabled",
          dateCreated: "2025-06-12",
          dateDisabled: null,
          dateTimeAssigned: null,
          devRefId: "",
        },
      ],
    });
  });

  it("names an object where the array of keys belongs", () => {
    expect(parsePortalKeyList(SEED_POST_RESPONSE)).toEqual({
      ok: false,
      problem: "a JSON object where an array of keys belongs",
    });
  });

  it("names the item and field of a malformed date", () => {
    const keys = [SEED_GET_RESPONSE[0], { ...SEED_GET_RESPONSE[1], DateCreated: "2024-13-04" }];
    expect(parsePortalKeyList(keys)).toEqual({
      ok: false,
      problem: "item [1]: a key with field DateCreated: expected a date as yyyy-MM-dd",
    });
  });

  it("accepts an empty list", () => {
    expect(parsePortalKeyList([])).toEqual({ ok: true, value: [] });
  });
});

describe("parsePortalKey", () => {
  it("parses the seed's POST example as an enabled, unlabeled, uninstalled key", () => {
    expect(parsePortalKey(SEED_POST_RESPONSE)).toEqual({
      ok: true,
      value: {
        customerKey: "565ATSAH4SZDUTTK",
        keyStatus: "Enabled",
        dateCreated: "2025-06-12",
        dateDisabled: null,
        dateTimeAssigned: null,
        devRefId: "",
      },
    });
  });

  it("parses the seed's PUT example with its DevRefId", () => {
    expect(parsePortalKey(SEED_PUT_RESPONSE)).toEqual({
      ok: true,
      value: {
        customerKey: "QJXZR4PNK5B8W2HD",
        keyStatus: "DisabledByDeveloper",
        dateCreated: "2021-05-25",
        dateDisabled: "2025-08-29",
        dateTimeAssigned: "2021-06-22 03:37:33",
        devRefId: "Sarah's Super Dental",
      },
    });
  });

  it("keeps every known KeyStatus and an unknown one as-is", () => {
    const statuses = [
      "Enabled",
      "DisabledByDeveloper",
      "DisabledByCustomer",
      "DisabledByHQ",
      "EnabledReadOnly",
      "Unknown",
      "SuspendedForAudit",
    ];
    const parsed = statuses.map((KeyStatus) => parsePortalKey({ ...SEED_POST_RESPONSE, KeyStatus }));
    expect(parsed.map((p) => (p.ok ? p.value.keyStatus : p.problem))).toEqual(statuses);
  });

  it("reads a null or missing DevRefId as unlabeled", () => {
    const { DevRefId: _omitted, ...withoutDevRefId } = SEED_POST_RESPONSE;
    expect(parsePortalKey({ ...SEED_POST_RESPONSE, DevRefId: null })).toMatchObject({
      ok: true,
      value: { devRefId: "" },
    });
    expect(parsePortalKey(withoutDevRefId)).toMatchObject({ ok: true, value: { devRefId: "" } });
  });

  it("names a malformed DateTimeAssigned", () => {
    expect(parsePortalKey({ ...SEED_POST_RESPONSE, DateTimeAssigned: "2025-06-12T10:00:00Z" })).toEqual({
      ok: false,
      problem: "a key with field DateTimeAssigned: expected a date and time as yyyy-MM-dd HH:mm:ss",
    });
  });

  it("rejects an impossible calendar date", () => {
    expect(parsePortalKey({ ...SEED_POST_RESPONSE, DateDisabled: "2025-02-30" })).toEqual({
      ok: false,
      problem: "a key with field DateDisabled: expected a date as yyyy-MM-dd",
    });
  });

  it("names a CustomerKey of the wrong shape without echoing it", () => {
    expect(parsePortalKey({ ...SEED_POST_RESPONSE, CustomerKey: "565atsah4szduttk" })).toEqual({
      ok: false,
      problem: "a key with field CustomerKey: expected 16 upper-case letters or digits",
    });
  });

  it("names a missing field and a field of the wrong type", () => {
    const { KeyStatus: _omitted, ...withoutStatus } = SEED_POST_RESPONSE;
    expect(parsePortalKey({ ...withoutStatus, DateCreated: 20250612 })).toEqual({
      ok: false,
      problem:
        "a key with field KeyStatus: expected string, missing; field DateCreated: expected string, got number",
    });
  });

  it("names an array where a key object belongs", () => {
    expect(parsePortalKey(SEED_GET_RESPONSE)).toEqual({
      ok: false,
      problem: "a JSON array where a key object belongs",
    });
  });
});

describe("explanationFromBody", () => {
  it("reads plain text", () => {
    expect(explanationFromBody("  KeyStatus is invalid.\n")).toBe("KeyStatus is invalid.");
  });

  it("reads a JSON string", () => {
    expect(explanationFromBody('"KeyStatus is invalid."')).toBe("KeyStatus is invalid.");
  });

  it.each([
    ['{"Message":"From Message"}', "From Message"],
    ['{"message":"From message"}', "From message"],
    ['{"error":"From error"}', "From error"],
    ['{"error":{"message":"From nested error"}}', "From nested error"],
    ['{"errors":{"KeyStatus":["Must be Enabled"]}}', '{"KeyStatus":["Must be Enabled"]}'],
    ['{"title":"Bad","detail":"From detail"}', "From detail"],
    ['{"Code":7}', '{"Code":7}'],
  ])("reads a JSON object %s", (body, expected) => {
    expect(explanationFromBody(body)).toBe(expected);
  });

  it("names an HTML page by its title", () => {
    expect(
      explanationFromBody("<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head></html>"),
    ).toBe('an HTML page "502 Bad Gateway"');
  });

  it("returns undefined for an empty body", () => {
    expect(explanationFromBody("   ")).toBeUndefined();
    expect(explanationFromBody('""')).toBeUndefined();
  });

  it("collapses whitespace and caps the length at 300 characters", () => {
    const explanation = explanationFromBody(`line one\n\n${"x".repeat(400)}`);
    expect(explanation).toBe(`line one ${"x".repeat(291)}…`);
  });
});

describe("describeNonJsonBody", () => {
  it.each([
    ["<html><body>hi</body></html>", "text/html; charset=utf-8", "text/html instead of JSON"],
    ["<!DOCTYPE html><html></html>", "application/json", "an HTML page instead of JSON"],
    ["", "application/json", "an empty body instead of JSON"],
    ['[{"CustomerKey": "AB', "application/json", "truncated or malformed JSON"],
    ["Service down", "text/plain", "a body that is not JSON (text/plain)"],
  ])("describes %j (%s)", (body, type, expected) => {
    expect(describeNonJsonBody(body, type)).toBe(expected);
  });

  it("returns undefined for JSON", () => {
    expect(describeNonJsonBody("[]", "application/json")).toBeUndefined();
  });
});

describe("parseRetryAfter", () => {
  it("reads seconds and HTTP dates, and ignores garbage", () => {
    const now = new Date("2025-06-12T10:00:00Z");
    expect(parseRetryAfter("3", now)).toBe(3);
    expect(parseRetryAfter("Thu, 12 Jun 2025 10:00:05 GMT", now)).toBe(5);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe("joinUrl", () => {
  it("joins a base URL with or without a trailing slash to a path", () => {
    expect(joinUrl("https://api.opendental.com/api/v1", "/apikeys")).toBe(
      "https://api.opendental.com/api/v1/apikeys",
    );
    expect(joinUrl("https://api.opendental.com/api/v1/", "/apikeys?Offset=0")).toBe(
      "https://api.opendental.com/api/v1/apikeys?Offset=0",
    );
    expect(joinUrl("http://127.0.0.1:4010", "apikeys")).toBe("http://127.0.0.1:4010/apikeys");
  });
});
