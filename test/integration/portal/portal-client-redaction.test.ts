// Invariant 6: no error message, onCall record or console output carries a full CustomerKey or credential,
// even when the portal echoes them back in its explanations.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { PortalCallRecord } from "../../../functions/portal/portal-client.js";
import type { PortalClient, PortalCredentials } from "../../../functions/portal/portal-types.js";
import type { PortalSimulator, QueuedFault } from "../../../local/portal-simulator.js";
import { formatLikeSeed } from "../../../local/portal-simulator-keys.js";
import { clientFor, rejectionOf, useSimulators } from "../../support/portal-harness.js";

const start = useSimulators();

const KEY = "QJXZR4PNK5B8W2HD";
const OTHER_KEY = "AAM2DYNOLF0F7ZUD";
const CREDENTIALS: PortalCredentials = {
  developerKey: "LEAKDEV-1234567890-abcdef",
  developerPortalKey: "LEAKPORTAL-0987654321-zyxwvu",
};
const STALE: PortalCredentials = {
  developerKey: "STALEDEV-5555555555-qqqq",
  developerPortalKey: "STALEPORTAL-7777777777-rrrr",
};
const SECRETS = [
  KEY,
  OTHER_KEY,
  CREDENTIALS.developerKey,
  CREDENTIALS.developerPortalKey,
  STALE.developerKey,
  STALE.developerPortalKey,
];
const ECHO = `key ${KEY} (also ${OTHER_KEY}) refused for ODFHIR ${CREDENTIALS.developerKey}/${CREDENTIALS.developerPortalKey}`;

function keyObject(customerKey: string, dateCreated = "2025-06-12") {
  return {
    CustomerKey: customerKey,
    KeyStatus: "Enabled",
    DateCreated: dateCreated,
    DateDisabled: "0001-01-01",
    DateTimeAssigned: "0001-01-01 00:00:00",
    DevRefId: "",
  };
}

/** One error path: faults to queue (if any), and the client call that should fail. */
interface ErrorPath {
  name: string;
  faults?: QueuedFault[];
  credentials?: PortalClientCredentials;
  timeoutMs?: number;
  call: (client: PortalClient) => Promise<unknown>;
}
type PortalClientCredentials = (opts?: { forceRefresh?: boolean }) => Promise<PortalCredentials>;

const update = (client: PortalClient) =>
  client.updateKey({ customerKey: KEY, keyStatus: "DisabledByDeveloper" });

const PATHS: ErrorPath[] = [
  ...[400, 404, 410, 429, 500, 502, 503, 504].flatMap((status) => [
    { name: `${status} text`, faults: [{ kind: "status", status, body: ECHO }], call: update } as ErrorPath,
    {
      name: `${status} JSON string`,
      faults: [{ kind: "status", status, body: JSON.stringify(ECHO) }],
      call: update,
    } as ErrorPath,
    {
      name: `${status} JSON object`,
      faults: [{ kind: "status", status, body: JSON.stringify({ Message: ECHO, CustomerKey: KEY }) }],
      call: update,
    } as ErrorPath,
  ]),
  {
    name: "401 twice, echoing credentials",
    faults: [{ kind: "status", status: 401, body: ECHO, times: 2 }],
    call: update,
  },
  {
    name: "401 from stale credentials, then refreshed credentials also refused",
    credentials: async () => STALE,
    call: update,
  },
  {
    name: "404 from the simulator for an unknown key",
    call: (c) => c.updateKey({ customerKey: "ZZZZR4PNK5B8W2HD", keyStatus: "Enabled" }),
  },
  {
    name: "HTML 502 page naming the key",
    faults: [{ kind: "status", status: 502, body: `<html><head><title>${ECHO}</title></head></html>` }],
    call: update,
  },
  { name: "HTML 200 page", faults: [{ kind: "html", status: 200 }], call: update },
  { name: "truncated JSON", faults: [{ kind: "garbage" }], call: update },
  { name: "timeout", faults: [{ kind: "timeout" }], timeoutMs: 150, call: update },
  { name: "commit then drop", faults: [{ kind: "commitThenDrop" }], call: update },
  {
    name: "200 with an object where the list belongs",
    faults: [{ kind: "status", status: 200, body: JSON.stringify(keyObject(KEY)) }],
    call: (c) => c.listKeys(),
  },
  {
    name: "list item with a malformed date",
    faults: [{ kind: "status", status: 200, body: formatLikeSeed([keyObject(KEY, "2025-02-30")]) }],
    call: (c) => c.listKeys(),
  },
  {
    name: "PUT answered for another key",
    faults: [{ kind: "status", status: 200, body: JSON.stringify(keyObject(OTHER_KEY)) }],
    call: update,
  },
  {
    name: "redirect whose Location carries the key",
    faults: [
      { kind: "status", status: 307, body: "", headers: { Location: `https://elsewhere.example/?k=${KEY}` } },
    ],
    call: update,
  },
  {
    name: "keyStatus the portal does not accept",
    call: (c) => c.updateKey({ customerKey: KEY, keyStatus: `${KEY}` as "Enabled" }),
  },
  {
    name: "credentials that cannot make a header",
    credentials: async () => ({ ...CREDENTIALS, developerKey: `${CREDENTIALS.developerKey} ` }),
    call: update,
  },
];

describe("PortalClient redaction", () => {
  let captured: string[];
  beforeEach(() => {
    captured = [];
    for (const method of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, method).mockImplementation(
        (...args: unknown[]) => void captured.push(args.map(String).join(" ")),
      );
    }
    for (const stream of [process.stdout, process.stderr]) {
      const write = stream.write.bind(stream);
      vi.spyOn(stream, "write").mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
        captured.push(String(chunk));
        return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof stream.write);
    }
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("never puts a full key or credential in any error, onCall record or console output", async () => {
    const sim: PortalSimulator = await start({ credentials: CREDENTIALS, seedKeys: [{ CustomerKey: KEY }] });
    const calls: PortalCallRecord[] = [];
    const errors: Array<{ path: string; error: Error }> = [];

    for (const path of PATHS) {
      if (path.faults) sim.queueFaults(...path.faults);
      const client = clientFor(sim, {
        credentials: path.credentials ?? (async () => CREDENTIALS),
        onCall: (call) => calls.push(call),
        ...(path.timeoutMs ? { timeoutMs: path.timeoutMs } : {}),
      });
      try {
        await path.call(client);
        throw new Error(`${path.name}: expected an error`);
      } catch (error) {
        errors.push({ path: path.name, error: error as Error });
      }
    }
    const stopped = sim.url;
    await sim.stop();
    try {
      await clientFor(sim, { baseUrl: stopped, credentials: async () => CREDENTIALS }).createKey();
    } catch (error) {
      errors.push({ path: "connection refused", error: error as Error });
    }

    // Every path failed with one of our typed errors (a test error would name the path instead).
    expect(
      errors
        .map((e) => e.error.name)
        .filter((n) => !n.startsWith("Portal") && n !== "InvalidInput" && n !== "ConfigurationError"),
    ).toEqual([]);
    const everything = [
      ...errors.flatMap(({ error }) => [
        error.message,
        String(error.stack),
        String(error),
        JSON.stringify(error),
        JSON.stringify(Object.entries(error)),
        String((error as { cause?: unknown }).cause ?? ""),
      ]),
      ...calls.map((c) => JSON.stringify(c)),
      ...captured,
    ].join("\n");
    const leaked = SECRETS.filter((secret) => everything.includes(secret));
    expect(leaked).toEqual([]);
    // The explanations did surface, masked: the test exercised what it claims to.
    expect(errors.find((e) => e.path === "400 JSON object")?.error.message).toBe(
      "PUT /apikeys for key …W2HD: 400 BadRequest: key …W2HD (also …7ZUD) refused for ODFHIR LEAK…cdef/LEAK…xwvu",
    );
    expect(errors).toHaveLength(PATHS.length + 1);
  });
});

/** Every run of `length` characters of `secret`: a shown message may hold none of them (the demo's scan). */
function runsOf(secret: string, length: number): string[] {
  return Array.from({ length: secret.length - length + 1 }, (_, i) => secret.slice(i, i + length));
}

describe("PortalClient redaction at the explanation's length cap", () => {
  it("masks a key the 300-character cap would cut in two, known or not", async () => {
    const sim = await start({ credentials: CREDENTIALS, seedKeys: [{ CustomerKey: KEY }] });
    const client = clientFor(sim, { credentials: async () => CREDENTIALS });
    const shown: string[] = [];
    // The echoed key starts 10, 4 and 1 characters before the cap: its head would be kept, unmasked.
    for (const before of [10, 4, 1]) {
      const padding = "x".repeat(300 - before - 1);
      sim.queueFaults({ kind: "status", status: 400, body: `${padding} ${KEY} was refused` });
      shown.push((await rejectionOf(update(client))).message);
      sim.queueFaults({ kind: "status", status: 400, body: `${padding} ${OTHER_KEY} is unknown` });
      shown.push((await rejectionOf(client.createKey())).message);
    }
    expect(shown.every((message) => message.endsWith("…"))).toBe(true);
    const leaked = [...runsOf(KEY, 8), ...runsOf(OTHER_KEY, 8)].filter((run) =>
      shown.some((message) => message.includes(run)),
    );
    expect(leaked).toEqual([]);
  });
});
