// The one shape every change to a practice takes: a transaction conditional on what the caller saw (status,
// owning execution, version). When a condition fails, someone changed the practice between our read and our
// write — often a retry of ourselves that already wrote — so we re-read and decide: return what is stored, try
// again (claims), or throw (ClaimLost when another execution owns the practice now).
import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { TransactWriteCommand, type TransactWriteCommandInput } from "@aws-sdk/lib-dynamodb";
import { ClaimLost, ConcurrentModification } from "../platform/errors.js";
import { getPractice } from "./practice-reads.js";
import type { PracticeRecord } from "./practice-record.js";
import type { PracticeTable } from "./practice-table.js";

export type TransactItems = NonNullable<TransactWriteCommandInput["TransactItems"]>;

/** A step of the execution that owns (claimed) the practice. */
export interface OwnedStep {
  readonly practiceId: string;
  readonly executionName: string;
  /** Audit actor. @default the record's requestedBy */
  readonly actor?: string;
  readonly now?: Date;
}

/** Rounds of read-decide-write before a claim reports contention. */
const MAX_CLAIM_ROUNDS = 8;

function isConditionFailure(error: unknown): boolean {
  if (error instanceof TransactionCanceledException) {
    return (error.CancellationReasons ?? []).some((r) => r.Code === "ConditionalCheckFailed");
  }
  return (error as { name?: string })?.name === "ConditionalCheckFailedException";
}

/** Writes the items in one transaction; any failure (a failed condition too) throws as DynamoDB reported it. */
export async function transact(table: PracticeTable, items: TransactItems): Promise<void> {
  await table.client.send(new TransactWriteCommand({ TransactItems: items }));
}

/** Writes the items in one transaction: true when written, false when a condition failed; other errors throw. */
export async function tryTransaction(table: PracticeTable, items: TransactItems): Promise<boolean> {
  try {
    await transact(table, items);
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/**
 * A single-shot write by the owning execution: written → the practice as now stored (or `written()`); a
 * condition failed → `settle` gets the practice re-read and returns it (our write is already there) or throws.
 */
export async function transactOrSettle<T = PracticeRecord>(
  table: PracticeTable,
  practiceId: string,
  items: TransactItems,
  settle: (latest: PracticeRecord | undefined) => T | Promise<T>,
  written: () => Promise<T> = async () => (await getPractice(table, practiceId))! as T,
): Promise<T> {
  if (await tryTransaction(table, items)) return written();
  return settle(await getPractice(table, practiceId));
}

/**
 * Read-decide-write in rounds: `round` reads, decides and returns the outcome, or undefined when its write hit a
 * condition failure (the practice changed under it) — then it reads and decides again, up to a limit.
 */
export async function inClaimRounds<T>(
  round: () => Promise<T | undefined>,
  contention: () => string,
): Promise<T> {
  for (let i = 0; i < MAX_CLAIM_ROUNDS; i++) {
    const outcome = await round();
    if (outcome !== undefined) return outcome;
  }
  throw new ConcurrentModification(contention());
}

/** The step's execution no longer owns the practice in the in-between `status` it claimed. */
export function claimLost(
  step: OwnedStep,
  current: PracticeRecord | undefined,
  status: "ONBOARDING" | "OFFBOARDING",
): ClaimLost {
  return new ClaimLost(
    current
      ? `practice ${step.practiceId} is ${current.status} by execution ${current.lastExecution}, ` +
          `no longer ${status} by ${step.executionName}`
      : `practice ${step.practiceId} has no record; execution ${step.executionName} never claimed it`,
  );
}
