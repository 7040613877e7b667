// Everything a chaos run's checks look at, gathered once after the run: the portal's keys with their history,
// the table (practices, key ledger, create attempts, audit trail), every execution with its full history.
import type { DescribeExecutionOutput, HistoryEvent } from "@aws-sdk/client-sfn";
import type { AuditEntry } from "../../functions/practice/audit-trail.js";
import type { CreateAttemptRecord } from "../../functions/practice/create-attempts.js";
import type { LedgerEntry } from "../../functions/practice/key-ledger.js";
import type { PracticeRecord } from "../../functions/practice/practice-record.js";
import type { PracticeStore } from "../../functions/practice/practice-store.js";
import type { SimulatorCall, SimulatorKey, SimulatorStats } from "../../local/portal-simulator.js";
import type { LocalWorkflowEngine } from "../../local/workflow-engine.js";

export interface ExecutionEvidence {
  /** Logical id of the state machine, for display. */
  readonly machine: string;
  readonly stateMachineArn: string;
  readonly description: DescribeExecutionOutput;
  readonly events: HistoryEvent[];
}

export interface ChaosEvidence {
  readonly keys: SimulatorKey[];
  readonly calls: SimulatorCall[];
  readonly stats: SimulatorStats;
  readonly practices: PracticeRecord[];
  /** Ledger entry of each portal key we recorded, by CustomerKey. */
  readonly ledger: Map<string, LedgerEntry>;
  readonly attempts: Map<string, CreateAttemptRecord[]>;
  readonly audit: Map<string, AuditEntry[]>;
  readonly executions: ExecutionEvidence[];
}

/** Every execution of every state machine, once none is running. */
export async function collectExecutions(engine: LocalWorkflowEngine): Promise<ExecutionEvidence[]> {
  const out: ExecutionEvidence[] = [];
  for (const machine of engine.stateMachines()) {
    let nextToken: string | undefined;
    do {
      const page = engine.listExecutions({
        stateMachineArn: machine.stateMachineArn,
        maxResults: 1000,
        nextToken,
      });
      for (const item of page.executions ?? []) {
        const description = await engine.waitForExecution(item.executionArn!);
        const events: HistoryEvent[] = [];
        let historyToken: string | undefined;
        do {
          const history = engine.getExecutionHistory(item.executionArn!, {
            maxResults: 1000,
            ...(historyToken ? { nextToken: historyToken } : {}),
          });
          events.push(...(history.events ?? []));
          historyToken = history.nextToken;
        } while (historyToken);
        out.push({
          machine: machine.logicalId,
          stateMachineArn: machine.stateMachineArn,
          description,
          events,
        });
      }
      nextToken = page.nextToken;
    } while (nextToken);
  }
  return out.reverse();
}

/**
 * Waits until no execution of any state machine is running (new ones may start while others end) and no handler
 * invocation is either: a stopped execution's invocation runs on, as on Lambda, and may still call the portal.
 */
export async function waitForQuiet(engine: LocalWorkflowEngine): Promise<void> {
  for (;;) {
    const running = engine.stateMachines().flatMap(
      (machine) =>
        engine.listExecutions({
          stateMachineArn: machine.stateMachineArn,
          statusFilter: "RUNNING",
          maxResults: 1000,
        }).executions ?? [],
    );
    if (running.length === 0) {
      await engine.invocationsSettled();
      const startedMeanwhile = engine.stateMachines().some(
        (machine) =>
          (engine.listExecutions({
            stateMachineArn: machine.stateMachineArn,
            statusFilter: "RUNNING",
            maxResults: 1,
          }).executions?.length ?? 0) > 0,
      );
      if (!startedMeanwhile) return;
      continue;
    }
    await Promise.all(running.map((item) => engine.waitForExecution(item.executionArn!)));
  }
}

export async function collectEvidence(input: {
  readonly engine: LocalWorkflowEngine;
  readonly store: PracticeStore;
  readonly simulator: {
    keys(): SimulatorKey[];
    calls(): SimulatorCall[];
    stats(): SimulatorStats;
  };
}): Promise<ChaosEvidence> {
  const { engine, store, simulator } = input;
  await waitForQuiet(engine);
  const keys = simulator.keys();
  // Whole records (the status index projects no key), their keys opened with the local administrator's
  // credentials for the invariant checks — in memory only: the table holds ciphertexts (§4 invariant 13).
  const practices: PracticeRecord[] = [];
  for (const listed of await store.listPractices()) {
    const record = (await store.getPractice(listed.practiceId)) ?? listed;
    practices.push({
      ...record,
      ...(record.customerKey ? { customerKey: await store.revealCustomerKey(record) } : {}),
      ...(record.previousCustomerKey
        ? { previousCustomerKey: await store.revealPreviousCustomerKey(record) }
        : {}),
    });
  }
  const ledger = new Map<string, LedgerEntry>();
  for (const key of keys) {
    const owner = await store.getKeyOwner(await store.fingerprint(key.CustomerKey));
    if (owner) ledger.set(key.CustomerKey, owner);
  }
  const attempts = new Map<string, CreateAttemptRecord[]>();
  const audit = new Map<string, AuditEntry[]>();
  for (const practice of practices) {
    attempts.set(practice.practiceId, await store.listCreateAttempts(practice.practiceId));
    audit.set(practice.practiceId, await store.listAudit(practice.practiceId, 10_000));
  }
  return {
    keys,
    calls: simulator.calls(),
    stats: simulator.stats(),
    practices,
    ledger,
    attempts,
    audit,
    executions: await collectExecutions(engine),
  };
}
