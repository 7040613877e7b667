// findPortalKey walks the portal's listing a page at a time (portal-key-lookup.ts) for onboarding's and
// offboarding's rare-path checks. The seed documents `GET /apikeys` as "Returns all CustomerKeys" with no paging:
// a portal that ignores Offset answers every page with the same keys, and the walk must end there, as listKeys does.
import { describe, expect, it } from "vitest";
import { PortalResponseInvalid } from "../../../functions/platform/errors.js";
import { findPortalKey } from "../../../functions/portal/portal-key-lookup.js";
import { formatLikeSeed } from "../../../local/portal-simulator-keys.js";
import { SEED_GET_RESPONSE } from "../../fixtures/seed-examples.js";
import { clientFor, rejectionOf, useSimulators } from "../../support/portal-harness.js";

const start = useSimulators();

describe("findPortalKey", () => {
  it("finds the seed's key on the first page and stops there", async () => {
    const sim = await start({ seedKeys: SEED_GET_RESPONSE });
    const found = await findPortalKey(clientFor(sim), "93R8TEL22OI4UPYX");
    expect(found).toMatchObject({ customerKey: "93R8TEL22OI4UPYX", keyStatus: "Enabled" });
    expect(sim.calls()).toHaveLength(1);
  });

  it("stops, naming the fault, when the portal ignores Offset and repeats a full page", async () => {
    const sim = await start();
    const page = formatLikeSeed(sim.generateKeys(100));
    sim.reset();
    // As many identical answers as a walk would ask for before its Lambda timed out.
    sim.queueFaults({ kind: "status", method: "GET", status: 200, body: page, times: 50 });
    const error = await rejectionOf(findPortalKey(clientFor(sim), "ZZZZZZZZZZZZZZZZ"));
    expect(error).toBeInstanceOf(PortalResponseInvalid);
    expect(error.message).toBe(
      "GET /apikeys?Offset=100&Limit=100 repeated 100 keys from earlier pages; the portal may be ignoring Offset, so the listing cannot be trusted",
    );
    expect(sim.calls().map((c) => c.path)).toEqual([
      "/api/v1/apikeys?Offset=0&Limit=100",
      "/api/v1/apikeys?Offset=100&Limit=100",
    ]);
  });

  it("walks on past keys that shifted between pages", async () => {
    const sim = await start();
    const first = sim.generateKeys(100);
    const wanted = sim.generateKeys(1)[0]!;
    sim.reset();
    sim.queueFaults(
      { kind: "status", status: 200, body: formatLikeSeed(first) },
      { kind: "status", status: 200, body: formatLikeSeed([first[99]!, wanted]) },
    );
    const found = await findPortalKey(clientFor(sim), wanted.CustomerKey);
    expect(found?.customerKey).toBe(wanted.CustomerKey);
  });
});
