import { Arn, ArnFormat, Duration, Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as kms from "aws-cdk-lib/aws-kms";
import type * as logs from "aws-cdk-lib/aws-logs";
import type * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import { HandlerFunction } from "./handler-function.js";
import { acknowledgeTableKeyActions, acknowledgeWildcardResource } from "./nag-acknowledgments.js";
import type { PracticeTable } from "./practice-table.js";
import {
  PORTAL_FUNCTION_TIMEOUT,
  portalFunctionEnvironment,
  TABLE_KEY_ACTIONS,
} from "./workflow-function-settings.js";
import { workflowStateMachine } from "./workflow-state-machine.js";
import { lambdaStep } from "./workflow-task.js";

export interface ReconciliationWorkflowProps {
  /** Table holding practices, the key ledger, create attempts, the audit trail, runs and the rate limiter. */
  readonly table: PracticeTable;
  /** Secret holding `{"developerKey","developerPortalKey"}`; only the portal-calling functions may read it. */
  readonly portalCredentials: secretsmanager.ISecret;
  /** Customer-managed key for the log groups and the execution history. */
  readonly encryptionKey: kms.IKey;
  /** Onboarding workflow: STUCK checks and lost-POST candidates describe its executions. */
  readonly onboardingStateMachine: sfn.StateMachine;
  /** Offboarding workflow, once deployed: STUCK checks describe its executions. @default stuck offboardings are reported, never repaired */
  readonly offboardingStateMachine?: sfn.StateMachine;
  /** Open Dental Developer Portal base URL. @default "https://api.opendental.com/api/v1" */
  readonly portalBaseUrl?: string;
  /** Account-wide portal budget in requests per second, shared with every other workflow. @default 1 */
  readonly portalMaxRps?: number;
  /** Per-request portal timeout. @default 15 seconds */
  readonly portalTimeout?: Duration;
  /** Whole-run limit: 100,000 keys at 1 request/second list in ~17 minutes. @default 6 hours */
  readonly executionTimeout?: Duration;
  /** Step Functions log level; execution data is never logged. @default sfn.LogLevel.ALL */
  readonly logLevel?: sfn.LogLevel;
  /** Log retention for the state machine and its functions. @default three months */
  readonly logRetention?: logs.RetentionDays;
}

/** Reconciliation's table-only steps read and write whole chunks of the table: twice the workflows' 30 s. */
const TABLE_FUNCTION_TIMEOUT = Duration.seconds(60);

/**
 * Reconciliation as a Standard state machine of bounded loops. Each Task does a few pages, practices or repairs,
 * writes what it found to the table and returns only a cursor and counts, so no invocation runs long and no
 * state payload grows with the number of keys:
 *
 *   StartRun → ListPortalKeys ⟲ → CheckPractices ⟲ → ClassifyCandidates ⟲ → (repair) RepairFindings ⟲ → FinishRun
 *
 * Any failure after the start records the run FAILED (RecordFailure) and ends in Fail.
 */
export class ReconciliationWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;
  readonly functions: {
    readonly start: HandlerFunction;
    readonly listKeys: HandlerFunction;
    readonly checkPractices: HandlerFunction;
    readonly classifyCandidates: HandlerFunction;
    readonly repair: HandlerFunction;
    readonly finish: HandlerFunction;
  };

  constructor(scope: Construct, id: string, props: ReconciliationWorkflowProps) {
    super(scope, id);
    const table = props.table.table;
    const tableEnv = { TABLE_NAME: table.tableName };
    const executionEnv = {
      ONBOARDING_STATE_MACHINE_ARN: props.onboardingStateMachine.stateMachineArn,
      ...(props.offboardingStateMachine
        ? { OFFBOARDING_STATE_MACHINE_ARN: props.offboardingStateMachine.stateMachineArn }
        : {}),
    };
    // Identical to the other workflows' portal callers: the local stack runs every function in one process, and
    // every caller shares one rate-limiter item and budget.
    const portalEnv = portalFunctionEnvironment(table.tableName, props);
    const functionScope = new Construct(this, "Functions");
    const fn = (fid: string, entry: string, description: string, environment: Record<string, string>) =>
      new HandlerFunction(functionScope, fid, {
        entry,
        description,
        encryptionKey: props.encryptionKey,
        logRetention: props.logRetention,
        timeout: "PORTAL_SECRET_ARN" in environment ? PORTAL_FUNCTION_TIMEOUT : TABLE_FUNCTION_TIMEOUT,
        environment,
      });
    this.functions = {
      start: fn(
        "Start",
        "functions/reconciliation/reconciliation-start.ts",
        "Reconciliation: validate input, record the run",
        tableEnv,
      ),
      listKeys: fn(
        "ListKeys",
        "functions/reconciliation/reconciliation-list-keys.ts",
        "Reconciliation: list a few portal pages and classify their keys",
        portalEnv,
      ),
      checkPractices: fn(
        "CheckPractices",
        "functions/reconciliation/reconciliation-check-practices.ts",
        "Reconciliation: check practice records (missing keys, stuck practices)",
        { ...tableEnv, ...executionEnv },
      ),
      classifyCandidates: fn(
        "ClassifyCandidates",
        "functions/reconciliation/reconciliation-classify-candidates.ts",
        "Reconciliation: decide keys that lost POST answers may have created",
        { ...tableEnv, ...executionEnv },
      ),
      repair: fn(
        "Repair",
        "functions/reconciliation/reconciliation-repair.ts",
        "Reconciliation: make planned repairs",
        {
          ...portalEnv,
          ...executionEnv,
        },
      ),
      finish: fn(
        "Finish",
        "functions/reconciliation/reconciliation-finish.ts",
        "Reconciliation: store counts, publish metrics",
        tableEnv,
      ),
    };
    const f = this.functions;
    // Exactly the item operations each function performs (transactions need the per-item actions).
    table.grant(
      f.start.function,
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:Query",
      "dynamodb:UpdateItem",
    );
    table.grant(
      f.listKeys.function,
      "dynamodb:Query",
      "dynamodb:BatchGetItem",
      "dynamodb:BatchWriteItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem", // the rate limiter
    );
    table.grant(
      f.checkPractices.function,
      "dynamodb:Query",
      "dynamodb:BatchGetItem",
      "dynamodb:BatchWriteItem",
      "dynamodb:PutItem",
    );
    table.grant(
      f.classifyCandidates.function,
      "dynamodb:Query",
      "dynamodb:PutItem",
      "dynamodb:BatchWriteItem",
      "dynamodb:UpdateItem",
    );
    table.grant(
      f.repair.function,
      "dynamodb:Query",
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "dynamodb:ConditionCheckItem",
    );
    // The report and its ReconciliationCompleted outbox item (PutItem), in one transaction. Every event this
    // workflow announces — that one, the listing's PracticeKeyInstalled, a repair's outcome — goes into the table's
    // outbox with what it announces; the stream delivers it (lib/domain-event-outbox.ts): no PutEvents here.
    table.grant(f.finish.function, "dynamodb:PutItem", "dynamodb:UpdateItem");
    for (const handler of Object.values(f)) {
      table.encryptionKey?.grant(handler.function, ...TABLE_KEY_ACTIONS);
    }
    for (const portalFn of [f.listKeys, f.repair]) props.portalCredentials.grantRead(portalFn.function);
    for (const machine of [props.onboardingStateMachine, props.offboardingStateMachine]) {
      if (!machine) continue;
      // The practice record names the execution; the lookup covers that state machine's executions only.
      const executionsArn = Stack.of(this).formatArn({
        service: "states",
        resource: "execution",
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        resourceName: `${Arn.split(machine.stateMachineArn, ArnFormat.COLON_RESOURCE_NAME).resourceName}:*`,
      });
      for (const lookup of [f.checkPractices, f.classifyCandidates, f.repair]) {
        iam.Grant.addToPrincipal({
          grantee: lookup.function,
          actions: ["states:DescribeExecution"],
          resourceArns: [executionsArn],
        });
        acknowledgeWildcardResource(
          lookup.function,
          executionsArn,
          "STUCK checks and lost-POST candidates describe the execution a record names; names are only known at run time.",
        );
      }
    }
    for (const handler of Object.values(f)) {
      acknowledgeWildcardResource(
        handler.function,
        `${table.tableArn}/index/*`,
        "Runs, open create attempts and practices by status are read through the table's status index.",
      );
      acknowledgeTableKeyActions(handler.function);
    }

    const invoke = (
      sid: string,
      handler: HandlerFunction,
      payload: Record<string, unknown>,
      resultPath: string,
      outputPath?: string,
    ) => lambdaStep(this, sid, handler, payload, resultPath, outputPath);
    const cursor = { "run.$": "$.run", "progress.$": "$.progress" };

    // The start step's result becomes the whole state; ResultPath + OutputPath rather than ResultPath "$", which
    // aws-local-stepfunctions mishandles.
    const start = invoke(
      "StartRun",
      f.start,
      { "input.$": "$", "executionName.$": "$$.Execution.Name" },
      "$.start",
      "$.start",
    );
    const listKeys = invoke("ListPortalKeys", f.listKeys, cursor, "$.progress");
    const checkPractices = invoke("CheckPractices", f.checkPractices, cursor, "$.progress");
    const classify = invoke("ClassifyCandidates", f.classifyCandidates, cursor, "$.progress");
    const repair = invoke("RepairFindings", f.repair, cursor, "$.progress");
    const finish = invoke("FinishRun", f.finish, cursor, "$.outcome", "$.outcome");
    const recordFailure = invoke("RecordFailure", f.finish, { ...cursor, "error.$": "$.error" }, "$.outcome");
    const failed = new sfn.Fail(this, "ReconciliationFailed", {
      errorPath: "$.error.Error",
      causePath: "$.error.Cause",
    });
    recordFailure.addCatch(failed, { errors: ["States.ALL"], resultPath: "$.recordFailureError" });
    recordFailure.next(failed);
    for (const step of [listKeys, checkPractices, classify, repair, finish]) {
      step.addCatch(recordFailure, { errors: ["States.ALL"], resultPath: "$.error" });
    }

    finish.next(new sfn.Succeed(this, "Reconciled"));
    repair.next(
      new sfn.Choice(this, "AllRepairsMade")
        .when(sfn.Condition.booleanEquals("$.progress.repairs.finished", true), finish)
        .otherwise(repair),
    );
    classify.next(
      new sfn.Choice(this, "CandidatesDecided")
        .when(sfn.Condition.booleanEquals("$.progress.candidates.done", false), classify)
        .when(sfn.Condition.booleanEquals("$.run.repair", true), repair)
        .otherwise(finish),
    );
    checkPractices.next(
      new sfn.Choice(this, "AllPracticesChecked")
        .when(sfn.Condition.booleanEquals("$.progress.practices.done", true), classify)
        .otherwise(checkPractices),
    );
    listKeys.next(
      new sfn.Choice(this, "AllKeysListed")
        .when(sfn.Condition.booleanEquals("$.progress.keys.done", true), checkPractices)
        .otherwise(listKeys),
    );
    const definition = start.next(listKeys);

    ({ stateMachine: this.stateMachine, logGroup: this.logGroup } = workflowStateMachine(this, {
      name: "Reconciliation",
      comment:
        "Reconciles the portal's keys with the practice table: lists keys and practices in bounded loops, reports, repairs on request",
      definition,
      timeout: props.executionTimeout ?? Duration.hours(6),
      encryptionKey: props.encryptionKey,
      logLevel: props.logLevel,
      logRetention: props.logRetention,
      invokedFunctions: Object.values(f),
    }));
  }
}
