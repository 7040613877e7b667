// Property (issue 14): whatever the interleaving of onboardings (signed webhooks), redeliveries, offboardings,
// stopped executions and repairing reconciliations for ONE practice, once every execution has ended and every
// claim release has run, the practice's recorded status and its portal key's status agree:
//   ACTIVE ⇒ exactly its recorded key is enabled; FAILED / OFFBOARDED / no record ⇒ none of its keys is enabled;
//   never left ONBOARDING / OFFBOARDING.
// Through the real workflows on the local stack (synthesized ASL, handlers, DynamoDB Local, IAM enforced, the
// simulator over HTTP). Redeliveries reuse the last delivery's webhook-id and timestamp (the duplicate path); stale
// redeliveries reuse its timestamp under a new webhook-id, as a CRM retrying days later does: issued before the
// practice's later transitions, they must change nothing (the ordering rule, docs/events.md).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitForQuiet } from "../../bench/chaos/chaos-evidence.js";
import type { PracticeStore } from "../../functions/practice/practice-store.js";
import { findFreePort } from "../../local/free-port.js";
import { type LocalStack, STACK_OUTPUTS, startLocalStack } from "../../local/local-stack.js";
import type { PortalSimulator } from "../../local/portal-simulator.js";
import { type CrmDeliveryRequest, sendCrmDelivery } from "../../local/signed-webhook.js";
import { testMask } from "../support/test-key-custody.js";
import { localStackPracticeStore } from "../support/test-practice-store.js";

type Operation =
  | { readonly kind: "onboard" }
  | { readonly kind: "redeliver" }
  | { readonly kind: "staleRedeliver" }
  | { readonly kind: "offboard" }
  | { readonly kind: "stopOnboarding"; readonly afterMs: number; readonly slow: "POST" | "PUT" }
  | { readonly kind: "stopOffboarding"; readonly afterMs: number }
  | { readonly kind: "repair" };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: "onboard" } as const) },
  { weight: 1, arbitrary: fc.constant({ kind: "redeliver" } as const) },
  { weight: 1, arbitrary: fc.constant({ kind: "staleRedeliver" } as const) },
  { weight: 2, arbitrary: fc.constant({ kind: "offboard" } as const) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("stopOnboarding" as const),
      afterMs: fc.integer({ min: 0, max: 400 }),
      slow: fc.constantFrom("POST" as const, "PUT" as const),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("stopOffboarding" as const),
      afterMs: fc.integer({ min: 0, max: 300 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "repair" } as const) },
);

/** How long a held portal call lasts: long enough for a stop to land while it is in flight. */
const HELD_CALL_MS = 250;

let stack: LocalStack;
let stateDir: string;
let store: PracticeStore;
let simulator: PortalSimulator;
let arns: { onboarding: string; offboarding: string; reconciliation: string };
let webhookUrl: string;
let run = 0;

beforeAll(async () => {
  stateDir = mkdtempSync(path.join(tmpdir(), "lifecycle-property-"));
  stack = await startLocalStack({
    config: { port: await findFreePort(), portalMaxRps: 50 },
    stateDir,
    retryIntervalOverrides: 0,
    simulator: { maxRequestsPerSecond: 50 },
  });
  const outputs = stack.endpoints.outputs;
  arns = {
    onboarding: outputs[STACK_OUTPUTS.onboarding]!,
    offboarding: outputs[STACK_OUTPUTS.offboarding]!,
    reconciliation: outputs[STACK_OUTPUTS.reconciliation]!,
  };
  webhookUrl = `${stack.endpoints.httpApiUrl.replace(/\/+$/, "")}/webhooks/crm`;
  simulator = stack.simulator!;
  store = localStackPracticeStore(stack.endpoints, stateDir);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every execution ended and every claim release delivered. */
async function settled(): Promise<void> {
  await waitForQuiet(stack.engine);
  await stack.executionStatusEvents.idle();
  await waitForQuiet(stack.engine);
}

async function startAndStop(stateMachineArn: string, name: string, input: unknown, afterMs: number) {
  const { executionArn } = await stack.engine.startExecution({
    stateMachineArn,
    name,
    input: JSON.stringify(input),
  });
  await sleep(afterMs);
  await stack.engine.stopExecution(executionArn, { error: "Stopped", cause: "property test" });
}

async function apply(
  practiceId: string,
  devRefId: string,
  op: Operation,
  last: { delivery?: CrmDeliveryRequest },
) {
  const name = `${practiceId}-${op.kind}-${++run}`;
  switch (op.kind) {
    case "onboard": {
      last.delivery = { practiceId, devRefId, webhookId: `msg_${name}`, timestamp: new Date() };
      const answer = await sendCrmDelivery(webhookUrl, stack.webhookSecret, last.delivery);
      expect([200, 202, 409]).toContain(answer.status);
      break;
    }
    case "redeliver": {
      if (!last.delivery) return;
      const answer = await sendCrmDelivery(webhookUrl, stack.webhookSecret, last.delivery);
      expect([200, 202, 409]).toContain(answer.status);
      break;
    }
    case "staleRedeliver": {
      if (!last.delivery) return;
      const answer = await sendCrmDelivery(webhookUrl, stack.webhookSecret, {
        ...last.delivery,
        webhookId: `msg_${name}`,
      });
      expect(answer.status).toBe(202);
      break;
    }
    case "offboard":
      await stack.engine.startExecution({
        stateMachineArn: arns.offboarding,
        name,
        input: JSON.stringify({ practiceId, reason: "property test", requestedBy: "ops:property" }),
      });
      break;
    case "stopOnboarding":
      simulator.queueFaults({ kind: "slow", method: op.slow, ms: HELD_CALL_MS });
      await startAndStop(arns.onboarding, name, { practiceId, devRefId }, op.afterMs);
      break;
    case "stopOffboarding":
      simulator.queueFaults({ kind: "slow", method: "PUT", ms: HELD_CALL_MS });
      await startAndStop(
        arns.offboarding,
        name,
        { practiceId, reason: "property test", requestedBy: "ops:property" },
        op.afterMs,
      );
      break;
    case "repair":
      await stack.engine.startExecution({
        stateMachineArn: arns.reconciliation,
        name,
        input: JSON.stringify({ repair: true, graceMinutes: 0 }),
      });
      break;
  }
  await settled();
  // A held call the operation never reached must not slow the next one.
  simulator.clearQueuedFaults();
}

/** Problems with the practice's recorded status against its keys in the portal (empty when they agree). */
async function disagreements(practiceId: string, devRefId: string): Promise<string[]> {
  const record = await store.getPractice(practiceId);
  // The record holds its key's ciphertext: opened with the harness's KMS (docs/architecture.md §4 invariant 13).
  const heldKey = record?.customerKey ? await store.revealCustomerKey(record) : undefined;
  const keys = [];
  for (const key of simulator.keys()) {
    const owner = await store.getKeyOwner(await store.fingerprint(key.CustomerKey));
    if (owner?.practiceId === practiceId || key.DevRefId === devRefId || key.CustomerKey === heldKey)
      keys.push(key);
  }
  const enabled = keys.filter((k) => k.KeyStatus === "Enabled").map((k) => testMask(k.CustomerKey));
  const status = record?.status ?? "no record";
  const problems: string[] = [];
  if (status === "ONBOARDING" || status === "OFFBOARDING") problems.push(`left ${status}`);
  if (status === "ACTIVE") {
    const held = testMask(heldKey!);
    if (enabled.length !== 1 || enabled[0] !== held)
      problems.push(`ACTIVE with ${held}, enabled in the portal: [${enabled.join(", ")}]`);
  } else if (enabled.length > 0) problems.push(`${status} with enabled key(s) [${enabled.join(", ")}]`);
  return problems;
}

describe("lifecycle of one practice under random interleavings (fast-check)", () => {
  it("ends with the recorded status and the portal key's status in agreement", {
    timeout: 240_000,
  }, async () => {
    let practice = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 6 }), async (operations) => {
        const practiceId = `prop-${++practice}`;
        const devRefId = `Property Dental ${practice}`;
        const last: { delivery?: CrmDeliveryRequest } = {};
        for (const op of operations) await apply(practiceId, devRefId, op, last);
        // What the system promises once quiet, with no reconciliation: a stop can land while a claim or a key PUT
        // is in flight and the invocation runs on after it (as on Lambda); the claim release records the execution
        // as ended first, so its late claim is refused (docs/architecture.md §1).
        expect(await disagreements(practiceId, devRefId)).toEqual([]);
      }),
      {
        numRuns: 12,
        endOnFailure: true,
        // Failed 1 run in 6 when the check ran before a stopped onboarding's late re-enable was undone (the
        // invocation runs on after the stop, as on Lambda): the engine's quiet now waits for it.
        examples: [
          [
            [
              { kind: "onboard" },
              { kind: "offboard" },
              { kind: "offboard" },
              { kind: "stopOnboarding", afterMs: 31, slow: "PUT" },
              { kind: "onboard" },
              { kind: "stopOffboarding", afterMs: 206 },
            ],
          ],
          // Left ONBOARDING by a stopped execution whose claim landed after its release, before the release
          // recorded the execution as ended.
          [[{ kind: "offboard" }, { kind: "stopOnboarding", afterMs: 1, slow: "POST" }]],
          // ACTIVE with its key disabled: stopped during its label PUT, the onboarding recorded ACTIVE after the
          // claim release had disabled the key (label and record are one invocation since 8264b52).
          [
            [
              { kind: "stopOnboarding", afterMs: 5, slow: "PUT" },
              { kind: "stopOnboarding", afterMs: 393, slow: "PUT" },
              { kind: "stopOffboarding", afterMs: 60 },
            ],
          ],
        ],
      },
    );
  });
});
