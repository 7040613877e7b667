import { describe, expect, it } from "vitest";
import type { PortalSimulator } from "../../../local/portal-simulator.js";
import {
  SEED_GET_RESPONSE,
  SEED_GET_RESPONSE_TEXT,
  SEED_KEY_FIELD_ORDER,
  SEED_POST_RESPONSE_TEXT,
  SEED_PUT_REQUEST_TEXT,
  SEED_PUT_RESPONSE,
  SEED_PUT_RESPONSE_TEXT,
} from "../../fixtures/seed-examples.js";
import { authHeader, TODAY, useSimulators } from "../../support/portal-harness.js";

const start = useSimulators();

interface RawAnswer {
  status: number;
  contentType: string | null;
  text: string;
}

async function request(
  sim: PortalSimulator,
  method: string,
  path = "/apikeys",
  init: { body?: string; authorization?: string | null } = {},
): Promise<RawAnswer> {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  const authorization = init.authorization === undefined ? authHeader(sim) : init.authorization;
  if (authorization !== null) headers.Authorization = authorization;
  const response = await fetch(`${sim.url}${path}`, { method, headers, body: init.body });
  return {
    status: response.status,
    contentType: response.headers.get("content-type"),
    text: await response.text(),
  };
}

const put = (sim: PortalSimulator, body: unknown) =>
  request(sim, "PUT", "/apikeys", { body: typeof body === "string" ? body : JSON.stringify(body) });

describe("portal simulator responses", () => {
  it("answers GET with exactly the seed's example text when seeded with its keys", async () => {
    const sim = await start({ seedKeys: SEED_GET_RESPONSE });
    const answer = await request(sim, "GET");
    expect(answer).toEqual({
      status: 200,
      contentType: "application/json; charset=utf-8",
      text: SEED_GET_RESPONSE_TEXT,
    });
  });

  it("answers POST 201 with a new key shaped exactly like the seed's example", async () => {
    const sim = await start();
    const answer = await request(sim, "POST");
    const key = JSON.parse(answer.text).CustomerKey as string;
    expect(answer.status).toBe(201);
    expect(key).toMatch(/^[A-Z0-9]{16}$/);
    expect(Object.keys(JSON.parse(answer.text))).toEqual([...SEED_KEY_FIELD_ORDER]);
    expect(answer.text.replace(key, "565ATSAH4SZDUTTK")).toBe(SEED_POST_RESPONSE_TEXT);
  });

  it("answers the seed's PUT request with exactly the seed's PUT response", async () => {
    const sim = await start({
      now: () => new Date("2025-08-29T15:00:00Z"),
      seedKeys: [{ ...SEED_PUT_RESPONSE, KeyStatus: "Enabled", DateDisabled: "0001-01-01", DevRefId: "" }],
    });
    const answer = await put(sim, SEED_PUT_REQUEST_TEXT);
    expect(answer).toEqual({
      status: 200,
      contentType: "application/json; charset=utf-8",
      text: SEED_PUT_RESPONSE_TEXT,
    });
  });

  it("creates unique keys", async () => {
    const sim = await start();
    const created = await Promise.all(Array.from({ length: 20 }, () => request(sim, "POST")));
    expect(new Set(created.map((a) => JSON.parse(a.text).CustomerKey)).size).toBe(20);
  });

  it("answers an empty portal with []", async () => {
    const sim = await start();
    expect((await request(sim, "GET")).text).toBe("[]");
  });
});

describe("portal simulator authorization", () => {
  it.each([
    [
      "missing",
      null,
      "Authorization header is missing. Expected: ODFHIR {DeveloperKey}/{DeveloperPortalKey}.",
    ],
    [
      "malformed",
      "Bearer abc",
      "Authorization header is malformed. Expected: ODFHIR {DeveloperKey}/{DeveloperPortalKey}.",
    ],
    ["wrong", "ODFHIR simdev-developer-key-0001/wrong", "Invalid DeveloperKey or DeveloperPortalKey."],
  ])("answers 401 with an explanation when the header is %s", async (_case, authorization, explanation) => {
    const sim = await start({ seedKeys: SEED_GET_RESPONSE });
    const answer = await request(sim, "GET", "/apikeys", { authorization });
    expect([answer.status, JSON.parse(answer.text)]).toEqual([401, explanation]);
  });

  it("accepts the credentials it was started with", async () => {
    const sim = await start({
      credentials: { developerKey: "dev-A", developerPortalKey: "portal/with/slash" },
    });
    expect(
      (await request(sim, "GET", "/apikeys", { authorization: "ODFHIR dev-A/portal/with/slash" })).status,
    ).toBe(200);
  });
});

describe("portal simulator PUT", () => {
  const KEY = "AAM2DYNOLF0F7ZUD";

  it("changes only the fields given", async () => {
    const sim = await start({ seedKeys: [SEED_GET_RESPONSE[0]!] });
    const answer = await put(sim, { CustomerKey: "QJXZR4PNK5B8W2HD", DevRefId: "Sarah's Dental, renamed" });
    expect(JSON.parse(answer.text)).toEqual({ ...SEED_GET_RESPONSE[0], DevRefId: "Sarah's Dental, renamed" });
  });

  it("sets DateDisabled to today when disabled and back to 0001-01-01 when re-enabled", async () => {
    let now = new Date("2025-06-12T10:00:00Z");
    const sim = await start({ now: () => now, seedKeys: [{ CustomerKey: KEY, DateCreated: "2024-12-04" }] });
    const disabled = JSON.parse(
      (await put(sim, { CustomerKey: KEY, KeyStatus: "DisabledByDeveloper" })).text,
    );
    now = new Date("2025-07-01T10:00:00Z");
    const disabledAgain = JSON.parse(
      (await put(sim, { CustomerKey: KEY, KeyStatus: "DisabledByDeveloper" })).text,
    );
    const enabled = JSON.parse((await put(sim, { CustomerKey: KEY, KeyStatus: "Enabled" })).text);
    expect([disabled, disabledAgain, enabled].map((k) => [k.KeyStatus, k.DateDisabled])).toEqual([
      ["DisabledByDeveloper", "2025-06-12"],
      ["DisabledByDeveloper", "2025-06-12"],
      ["Enabled", "0001-01-01"],
    ]);
  });

  it.each(["DisabledByCustomer", "DisabledByHQ"])(
    "refuses to re-enable a %s key with 400",
    async (status) => {
      const sim = await start({ seedKeys: [{ CustomerKey: KEY, KeyStatus: status }] });
      const answer = await put(sim, { CustomerKey: KEY, KeyStatus: "Enabled" });
      expect([answer.status, JSON.parse(answer.text)]).toEqual([
        400,
        `CustomerKey ${KEY} is ${status} and cannot be enabled by the developer.`,
      ]);
      expect(sim.keys()[0]!.KeyStatus).toBe(status);
    },
  );

  it("leaves a DisabledByCustomer key as it is when asked to disable it", async () => {
    const sim = await start({
      seedKeys: [{ CustomerKey: KEY, KeyStatus: "DisabledByCustomer", DateDisabled: "2025-01-02" }],
    });
    const answer = await put(sim, { CustomerKey: KEY, KeyStatus: "DisabledByDeveloper" });
    expect([answer.status, JSON.parse(answer.text).KeyStatus, JSON.parse(answer.text).DateDisabled]).toEqual([
      200,
      "DisabledByCustomer",
      "2025-01-02",
    ]);
  });

  it("answers 404 with an explanation for an unknown key", async () => {
    const sim = await start();
    const answer = await put(sim, { CustomerKey: KEY, KeyStatus: "Enabled" });
    expect([answer.status, JSON.parse(answer.text)]).toEqual([404, `CustomerKey ${KEY} was not found.`]);
  });

  it.each([
    ["malformed JSON", '{"CustomerKey": "AAM2', "The request body is not valid JSON."],
    ["no body", "", "The request body is not valid JSON."],
    ["an array body", "[]", "The request body must be a JSON object."],
    ["no CustomerKey", '{"KeyStatus":"Enabled"}', "CustomerKey is required."],
    ["a numeric CustomerKey", '{"CustomerKey":7}', "CustomerKey must be a string."],
    [
      "KeyStatus DisabledByHQ",
      `{"CustomerKey":"${KEY}","KeyStatus":"DisabledByHQ"}`,
      'KeyStatus must be either "Enabled" or "DisabledByDeveloper".',
    ],
    [
      "KeyStatus enabled (lower case)",
      `{"CustomerKey":"${KEY}","KeyStatus":"enabled"}`,
      'KeyStatus must be either "Enabled" or "DisabledByDeveloper".',
    ],
    ["a numeric DevRefId", `{"CustomerKey":"${KEY}","DevRefId":5}`, "DevRefId must be a string."],
  ])("answers 400 with an explanation for %s, changing nothing", async (_case, body, explanation) => {
    const sim = await start({ seedKeys: [{ CustomerKey: KEY }] });
    const before = sim.keys().map(({ history: _h, ...k }) => k);
    const answer = await put(sim, body);
    expect([answer.status, JSON.parse(answer.text)]).toEqual([400, explanation]);
    expect(sim.keys().map(({ history: _h, ...k }) => k)).toEqual(before);
  });

  it("records each request that touched a key in its history", async () => {
    const sim = await start();
    const key = JSON.parse((await request(sim, "POST")).text).CustomerKey;
    await put(sim, { CustomerKey: key, DevRefId: "p-1" });
    await put(sim, { CustomerKey: key, KeyStatus: "Bogus" });
    expect(sim.keys()[0]!.history).toEqual([
      { at: `${TODAY}T10:00:00.000Z`, method: "POST", status: 201, changed: ["created"] },
      {
        at: `${TODAY}T10:00:00.000Z`,
        method: "PUT",
        status: 200,
        request: { DevRefId: "p-1" },
        changed: ["DevRefId"],
      },
      {
        at: `${TODAY}T10:00:00.000Z`,
        method: "PUT",
        status: 400,
        request: { KeyStatus: "Bogus" },
        changed: [],
      },
    ]);
  });
});

describe("portal simulator GET paging", () => {
  it("pages by Offset and Limit, clamping Limit at 100", async () => {
    const sim = await start();
    const keys = sim.generateKeys(150).map((k) => k.CustomerKey);
    const page = async (query: string) =>
      JSON.parse((await request(sim, "GET", `/apikeys${query}`)).text).map(
        (k: { CustomerKey: string }) => k.CustomerKey,
      );
    expect(await page("?Offset=1&Limit=2")).toEqual(keys.slice(1, 3));
    expect(await page("?offset=140&limit=500")).toEqual(keys.slice(140));
    expect(await page("?Limit=500")).toEqual(keys.slice(0, 100));
    expect(await page("")).toEqual(keys.slice(0, 100));
    expect(await page("?Offset=200")).toEqual([]);
  });

  it.each([
    ["?Offset=-1", "Offset must be a non-negative integer."],
    ["?Offset=abc", "Offset must be a non-negative integer."],
    ["?Limit=0", "Limit must be a positive integer."],
  ])("answers 400 for %s", async (query, explanation) => {
    const sim = await start();
    const answer = await request(sim, "GET", `/apikeys${query}`);
    expect([answer.status, JSON.parse(answer.text)]).toEqual([400, explanation]);
  });
});

describe("portal simulator routing", () => {
  it("answers 404 outside /apikeys and 405 for other methods", async () => {
    const sim = await start();
    const elsewhere = await request(sim, "GET", "/patients");
    const deleted = await request(sim, "DELETE");
    expect([elsewhere.status, JSON.parse(elsewhere.text)]).toEqual([
      404,
      "No HTTP resource was found that matches the request URI '/api/v1/patients'.",
    ]);
    expect([deleted.status, JSON.parse(deleted.text)]).toEqual([
      405,
      "The requested resource does not support http method 'DELETE'.",
    ]);
  });

  it("serves the API at the root when basePath is empty", async () => {
    const sim = await start({ basePath: "" });
    expect(sim.url).toBe(sim.origin);
    expect((await request(sim, "GET")).status).toBe(200);
  });

  it.each(["text", "json-object"] as const)(
    "writes explanations as %s when asked",
    async (errorBodyStyle) => {
      const sim = await start({ errorBodyStyle });
      const answer = await put(sim, { CustomerKey: "AAM2DYNOLF0F7ZUD" });
      const expected =
        errorBodyStyle === "text"
          ? "CustomerKey AAM2DYNOLF0F7ZUD was not found."
          : '{"Message":"CustomerKey AAM2DYNOLF0F7ZUD was not found."}';
      expect(answer.text).toBe(expected);
    },
  );
});

describe("portal simulator rate limit", () => {
  it("refuses the N+1-th request inside a 1-second window and accepts one exactly 1000 ms after", async () => {
    let clock = 0;
    const sim = await start({ maxRequestsPerSecond: 2, monotonicNow: () => clock });
    const statusAt = async (t: number) => {
      clock = t;
      return (await request(sim, "GET")).status;
    };
    expect([
      await statusAt(0),
      await statusAt(500),
      await statusAt(999.999),
      await statusAt(1000),
      await statusAt(1499.999),
      await statusAt(1500),
    ]).toEqual([200, 200, 429, 200, 429, 200]);
    expect(sim.stats()).toEqual({
      requests: 6,
      byStatus: { "200": 4, "429": 2 },
      rateLimited: 2,
      maxInAnyWindow: 4,
    });
  });

  it("lets exactly N of N+1 simultaneous requests through", async () => {
    const sim = await start({ maxRequestsPerSecond: 3 });
    const statuses = await Promise.all(
      Array.from({ length: 4 }, () => request(sim, "GET").then((a) => a.status)),
    );
    expect(statuses.sort()).toEqual([200, 200, 200, 429]);
    expect(sim.stats().rateLimited).toBe(1);
  });

  it("answers 429 with Retry-After and an explanation", async () => {
    const sim = await start({ maxRequestsPerSecond: 1, monotonicNow: () => 0 });
    await request(sim, "GET");
    const response = await fetch(`${sim.url}/apikeys`, { headers: { Authorization: authHeader(sim) } });
    expect([response.status, response.headers.get("retry-after"), await response.json()]).toEqual([
      429,
      "1",
      "Too many requests: the limit is 1 per second.",
    ]);
  });

  it("applies a rate limit set at runtime, and lifts it", async () => {
    const sim = await start({ monotonicNow: () => 0 });
    sim.setRateLimit(1);
    const limited = [(await request(sim, "GET")).status, (await request(sim, "GET")).status];
    sim.setRateLimit(undefined);
    expect([...limited, (await request(sim, "GET")).status]).toEqual([200, 429, 200]);
  });
});

describe("portal simulator faults", () => {
  it("applies queued faults in order to matching methods only, each as many times as asked", async () => {
    const sim = await start();
    sim.queueFaults(
      { kind: "status", status: 503, method: "POST", times: 2 },
      { kind: "status", status: 500 },
    );
    const statuses = [
      (await request(sim, "GET")).status,
      (await request(sim, "POST")).status,
      (await request(sim, "POST")).status,
      (await request(sim, "POST")).status,
    ];
    expect(statuses).toEqual([500, 503, 503, 201]);
    expect(sim.calls().map((c) => c.fault)).toEqual([
      "queued:status 500",
      "queued:status 503",
      "queued:status 503",
      undefined,
    ]);
  });

  it("drops the queued faults not yet applied when asked to clear them", async () => {
    const sim = await start();
    sim.queueFaults({ kind: "status", status: 400, method: "PUT" }, { kind: "status", status: 503 });
    sim.clearQueuedFaults();
    expect({ queued: sim.state().queuedFaults, status: (await request(sim, "GET")).status }).toEqual({
      queued: [],
      status: 200,
    });
  });

  it("answers 503 to every request during an outage, and normally after it", async () => {
    const sim = await start();
    sim.setFaults({ outage: true });
    const during = (await request(sim, "GET")).status;
    sim.setFaults({ outage: false });
    expect([during, (await request(sim, "GET")).status]).toEqual([503, 200]);
  });

  it("produces the same random faults from the same seed", async () => {
    const statusesFor = async () => {
      const sim = await start({
        random: 42,
        faults: { errorRate: 0.3, throttleRate: 0.2, htmlErrorRate: 0.2 },
      });
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) statuses.push((await request(sim, "GET")).status);
      return statuses;
    };
    const first = await statusesFor();
    expect(await statusesFor()).toEqual(first);
    expect(new Set(first).size).toBeGreaterThan(2);
  });

  it("refuses fault rates that add up to more than 1, naming the problem", () => {
    return start().then((sim) =>
      expect(() => sim.setFaults({ errorRate: 0.6, timeoutRate: 0.6 })).toThrow(
        "Invalid faults: the fault rates add up to 1.2, more than 1",
      ),
    );
  });

  it("records no status for a request dropped after commit", async () => {
    const sim = await start();
    sim.queueFaults({ kind: "commitThenDrop" });
    await expect(request(sim, "POST")).rejects.toThrow("fetch failed");
    expect(sim.calls()).toEqual([
      {
        seq: 1,
        at: `${TODAY}T10:00:00.000Z`,
        method: "POST",
        path: "/api/v1/apikeys",
        status: null,
        fault: "queued:commitThenDrop",
        keyMasked: expect.stringMatching(/^…[A-Z0-9]{4}$/),
      },
    ]);
    expect(sim.stats().byStatus).toEqual({ none: 1 });
  });
});

describe("portal simulator state", () => {
  it("resets to the seed keys, starting faults and an empty call log", async () => {
    const sim = await start({ seedKeys: SEED_GET_RESPONSE, faults: { latencyMs: 1 } });
    await request(sim, "POST");
    sim.setFaults({ outage: true });
    sim.queueFaults({ kind: "timeout" });
    sim.reset();
    const state = sim.state();
    expect(state.keys.map((k) => [k.CustomerKey, k.history.length])).toEqual(
      SEED_GET_RESPONSE.map((k) => [k.CustomerKey, 0]),
    );
    expect([state.calls, state.queuedFaults, state.faults.outage, state.faults.latencyMs]).toEqual([
      [],
      [],
      false,
      1,
    ]);
  });

  it("generates keys with a status and a numbered DevRefId", async () => {
    const sim = await start();
    const keys = sim.generateKeys(2, { status: "DisabledByDeveloper", devRefId: "practice-{n}" });
    expect(keys.map((k) => [k.KeyStatus, k.DateDisabled, k.DevRefId])).toEqual([
      ["DisabledByDeveloper", TODAY, "practice-1"],
      ["DisabledByDeveloper", TODAY, "practice-2"],
    ]);
  });

  it("refuses to add a key that already exists", async () => {
    const sim = await start({ seedKeys: [{ CustomerKey: "AAM2DYNOLF0F7ZUD" }] });
    expect(() => sim.addKeys([{ CustomerKey: "AAM2DYNOLF0F7ZUD" }])).toThrow(
      "Key [0]: CustomerKey AAM2DYNOLF0F7ZUD already exists",
    );
  });
});
