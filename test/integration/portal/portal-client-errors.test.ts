import { describe, expect, it } from "vitest";
import type { AppError } from "../../../functions/platform/errors.js";
import { clientFor, rejectionOf, useSimulators } from "../../support/portal-harness.js";

const start = useSimulators();
const KEY = "QJXZR4PNK5B8W2HD";

/** The same explanation in each of the body formats the undocumented API might use. */
const BODIES = {
  "plain text": "The portal says no.",
  "a JSON string": '"The portal says no."',
  "a JSON object": '{"Message":"The portal says no."}',
} as const;

/** Status → the error the client must raise for a PUT, and whether the change may have been applied. */
const STATUSES = [
  { status: 400, name: "PortalRejected", label: "400 BadRequest", outcomeUnknown: undefined },
  { status: 404, name: "PortalNotFound", label: "404 NotFound", outcomeUnknown: undefined },
  { status: 410, name: "PortalNotFound", label: "410 Gone", outcomeUnknown: undefined },
  { status: 429, name: "PortalThrottled", label: "429 TooManyRequests", outcomeUnknown: undefined },
  { status: 500, name: "PortalUnavailable", label: "500 InternalServerError", outcomeUnknown: true },
  { status: 503, name: "PortalUnavailable", label: "503 ServiceUnavailable", outcomeUnknown: false },
  { status: 504, name: "PortalUnavailable", label: "504 GatewayTimeout", outcomeUnknown: true },
] as const;

const CASES = STATUSES.flatMap((s) =>
  Object.entries(BODIES).map(([format, body]) => ({ ...s, format, body })),
);

describe("PortalClient error statuses", () => {
  it.each(CASES)(
    "maps $status with $format to $name with the explanation",
    async ({ status, name, label, body, outcomeUnknown }) => {
      const sim = await start({ seedKeys: [{ CustomerKey: KEY }] });
      sim.queueFaults({
        kind: "status",
        status,
        body,
        headers: status === 429 ? { "Retry-After": "7" } : {},
      });
      const error = (await rejectionOf(
        clientFor(sim).updateKey({ customerKey: KEY, devRefId: "p-1" }),
      )) as AppError & {
        outcomeUnknown?: boolean;
        retryAfterSeconds?: number;
      };
      expect(error.name).toBe(name);
      const applied = outcomeUnknown ? "; it may have been applied" : "";
      const wait = status === 429 ? " (retry after 7 s)" : "";
      expect(error.message).toBe(
        `PUT /apikeys for key …W2HD: ${label}: The portal says no.${applied}${wait}`,
      );
      expect(error.outcomeUnknown).toBe(outcomeUnknown);
      if (status === 429) expect(error.retryAfterSeconds).toBe(7);
      expect(sim.keys()[0]!.DevRefId).toBe("");
    },
  );

  it.each(Object.entries(BODIES))(
    "maps 401 twice with %s to PortalUnauthorized with the explanation",
    async (_format, body) => {
      const sim = await start();
      sim.queueFaults({ kind: "status", status: 401, body, times: 2 });
      const error = await rejectionOf(clientFor(sim).listKeys());
      expect(error.name).toBe("PortalUnauthorized");
      expect(error.message).toBe(
        "GET /apikeys?Offset=0&Limit=100: 401 Unauthorized: The portal says no. The portal refused the DeveloperKey/DeveloperPortalKey pair even after re-reading it; check the portal-credentials secret",
      );
    },
  );

  it("maps 403 to PortalUnauthorized without re-reading the credentials", async () => {
    const sim = await start();
    sim.queueFaults({ kind: "status", status: 403, body: "Developer account suspended." });
    const reads: unknown[] = [];
    const error = await rejectionOf(
      clientFor(sim, {
        credentials: async (opts) => {
          reads.push(opts);
          return sim.credentials;
        },
      }).listKeys(),
    );
    expect([error.name, error.message, reads]).toEqual([
      "PortalUnauthorized",
      "GET /apikeys?Offset=0&Limit=100: 403 Forbidden: Developer account suspended. The portal refused access for this DeveloperKey/DeveloperPortalKey pair; check the portal-credentials secret",
      [undefined],
    ]);
  });

  it("names the status alone when the error body is empty", async () => {
    const sim = await start();
    sim.queueFaults({ kind: "status", status: 400, body: "" });
    const error = await rejectionOf(clientFor(sim).createKey());
    expect([error.name, error.message]).toEqual(["PortalRejected", "POST /apikeys: 400 BadRequest"]);
  });

  it("maps an unlisted 4xx to PortalRejected and 502 to PortalUnavailable", async () => {
    const sim = await start();
    sim.queueFaults(
      { kind: "status", status: 422, body: "nope" },
      { kind: "status", status: 502, body: "bad gateway" },
    );
    const client = clientFor(sim);
    const rejected = await rejectionOf(client.listKeys());
    const unavailable = await rejectionOf(client.listKeys());
    expect([rejected.name, rejected.message]).toEqual([
      "PortalRejected",
      "GET /apikeys?Offset=0&Limit=100: 422 UnprocessableEntity: nope",
    ]);
    expect([unavailable.name, unavailable.message]).toEqual([
      "PortalUnavailable",
      "GET /apikeys?Offset=0&Limit=100: 502 BadGateway: bad gateway",
    ]);
  });

  it("reports a redirect instead of following it with the credentials", async () => {
    const sim = await start();
    sim.queueFaults({
      kind: "status",
      status: 302,
      body: "",
      headers: { Location: "https://login.example.com/" },
    });
    const error = await rejectionOf(clientFor(sim).listKeys());
    expect([error.name, error.message]).toEqual([
      "PortalResponseInvalid",
      "GET /apikeys?Offset=0&Limit=100: answered HTTP 302 redirect to https://login.example.com/",
    ]);
  });
});
