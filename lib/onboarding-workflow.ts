import { Duration } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as kms from "aws-cdk-lib/aws-kms";
import type * as logs from "aws-cdk-lib/aws-logs";
import type * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import type { HandlerFunction } from "./handler-function.js";
import { acknowledgeTableKeyActions } from "./nag-acknowledgments.js";
import type { PracticeTable } from "./practice-table.js";
import { compensatedFailure, compensateOnFailure } from "./saga-compensation.js";
import {
  portalFunctionEnvironment,
  stepFunctionFactory,
  TABLE_KEY_ACTIONS,
} from "./workflow-function-settings.js";
import { workflowStateMachine } from "./workflow-state-machine.js";
import { lambdaStep } from "./workflow-task.js";

export interface OnboardingWorkflowProps {
  /** Table holding practice records, key items, attempts, the audit trail and the rate limiter. */
  readonly table: PracticeTable;
  /** Secret holding `{"developerKey","developerPortalKey"}`; only the portal-calling functions may read it. */
  readonly portalCredentials: secretsmanager.ISecret;
  /** Customer-managed key for the log groups and the execution history. */
  readonly encryptionKey: kms.IKey;
  /** Open Dental Developer Portal base URL. @default "https://api.opendental.com/api/v1" */
  readonly portalBaseUrl?: string;
  /** Account-wide portal budget in requests per second, shared by every execution and function. @default 1 */
  readonly portalMaxRps?: number;
  /** Per-request portal timeout. @default 15 seconds */
  readonly portalTimeout?: Duration;
  /** Whole-execution limit. @default 30 minutes */
  readonly executionTimeout?: Duration;
  /** Step Functions log level; execution data is never logged. @default sfn.LogLevel.ALL */
  readonly logLevel?: sfn.LogLevel;
  /** Log retention for the state machine and its functions. @default three months */
  readonly logRetention?: logs.RetentionDays;
}

export {
  PORTAL_FUNCTION_TIMEOUT,
  TABLE_FUNCTION_TIMEOUT,
  TABLE_KEY_ACTIONS,
} from "./workflow-function-settings.js";
export { ONBOARDING_RETRY_ERRORS, TASK_TIMEOUT_SLACK } from "./workflow-task.js";

/**
 * The onboarding saga as a Standard state machine: claim → (create | re-enable → create) → label and record.
 * A failure after the claim runs compensation (disable the key, practice FAILED) and ends in Fail.
 * JSONPath only: the local engine runs exactly this definition and cannot run JSONata.
 */
export class OnboardingWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;
  readonly functions: {
    readonly claim: HandlerFunction;
    readonly createKey: HandlerFunction;
    readonly reenableKey: HandlerFunction;
    readonly labelAndRecord: HandlerFunction;
    readonly compensate: HandlerFunction;
  };
  /** The portal-calling functions' environment: another portal caller given it shares their rate limiter. */
  readonly portalEnvironment: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: OnboardingWorkflowProps) {
    super(scope, id);
    const table = props.table.table;
    const tableEnv = { TABLE_NAME: table.tableName };
    const portalEnv = portalFunctionEnvironment(table.tableName, props);
    this.portalEnvironment = portalEnv;
    const functionScope = new Construct(this, "Functions");
    const fn = stepFunctionFactory(functionScope, {
      encryptionKey: props.encryptionKey,
      logRetention: props.logRetention,
      tableEnvironment: tableEnv,
      portalEnvironment: portalEnv,
    });
    this.functions = {
      claim: fn(
        "Claim",
        "functions/onboarding/onboarding-claim.ts",
        "Onboarding: validate input, claim the practice",
        false,
      ),
      createKey: fn(
        "CreateKey",
        "functions/onboarding/onboarding-create-key.ts",
        "Onboarding: POST /apikeys",
        true,
      ),
      reenableKey: fn(
        "ReenableKey",
        "functions/onboarding/onboarding-reenable-key.ts",
        "Onboarding: re-enable a returning practice's key",
        true,
      ),
      // One function, not a label and a record function: one state transition less per onboarding.
      labelAndRecord: fn(
        "LabelKeyAndRecordActive",
        "functions/onboarding/onboarding-label-and-record.ts",
        "Onboarding: PUT the DevRefId, mark the practice ACTIVE",
        true,
      ),
      compensate: fn(
        "Compensate",
        "functions/onboarding/onboarding-compensate.ts",
        "Onboarding: disable the key, mark FAILED",
        true,
      ),
    };
    const f = this.functions;
    // Exactly the item operations each function performs (TransactWriteItems needs the per-item actions), on
    // the table alone: Table.grant() would add `<table>/index/*`, which no onboarding step reads.
    const grantItems = (handler: HandlerFunction, ...actions: string[]) =>
      handler.function.addToRolePolicy(new iam.PolicyStatement({ actions, resources: [table.tableArn] }));
    // The claim's transaction checks that the claim release has not recorded its execution as ended.
    grantItems(
      f.claim,
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "dynamodb:ConditionCheckItem",
    );
    grantItems(
      f.createKey,
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "dynamodb:ConditionCheckItem",
    );
    // The ACTIVE record checks it too: labeling and recording are one invocation, which runs on after a stop.
    grantItems(
      f.labelAndRecord,
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "dynamodb:ConditionCheckItem",
    );
    for (const portalFn of [f.reenableKey, f.compensate]) {
      grantItems(portalFn, "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem");
    }
    for (const handler of Object.values(f)) {
      // Table.grant() covers the table only: items are encrypted with the customer-managed key.
      table.encryptionKey?.grant(handler.function, ...TABLE_KEY_ACTIONS);
      acknowledgeTableKeyActions(handler.function);
    }
    for (const portalFn of [f.createKey, f.reenableKey, f.labelAndRecord, f.compensate]) {
      props.portalCredentials.grantRead(portalFn.function);
    }

    const executionName = "$$.Execution.Name";
    const owned = {
      "practiceId.$": "$.practiceId",
      "requestedBy.$": "$.requestedBy",
      "executionName.$": executionName,
    };
    const invoke = (
      sid: string,
      handler: HandlerFunction,
      payload: Record<string, unknown>,
      resultPath: string,
      outputPath?: string,
    ) => lambdaStep(this, sid, handler, payload, resultPath, outputPath);

    // The claim's result becomes the whole state (the raw input goes no further). Spelled as ResultPath + OutputPath
    // rather than ResultPath "$", which aws-local-stepfunctions mishandles (it writes a key named "$").
    const claim = invoke(
      "ClaimPractice",
      f.claim,
      { "input.$": "$", "executionName.$": executionName },
      "$.claim",
      "$.claim",
    );
    const createKey = invoke("CreateKey", f.createKey, owned, "$.key");
    const reenableKey = invoke("ReenablePreviousKey", f.reenableKey, owned, "$.reenable");
    // A retry re-sends the PUT: idempotent (same key, same DevRefId); the record after it is conditional.
    const labelAndRecord = invoke(
      "LabelKeyAndRecordActive",
      f.labelAndRecord,
      { ...owned, "devRefId.$": "$.devRefId" },
      "$.record",
    );
    const compensate = invoke(
      "Compensate",
      f.compensate,
      { ...owned, "error.$": "$.error" },
      "$.compensation",
    );

    const onboarded = new sfn.Succeed(this, "Onboarded");
    const failed = compensatedFailure(this, "OnboardingFailed");
    // Each outcome's event is written in the outcome's own transaction and delivered from the table's stream
    // (lib/domain-event-outbox.ts): no publish state, no event lost between "recorded" and "published".
    compensateOnFailure(this, [createKey, reenableKey, labelAndRecord], compensate, failed);

    createKey.next(labelAndRecord);
    labelAndRecord.next(onboarded);
    reenableKey.next(
      new sfn.Choice(this, "PreviousKeyReenabled")
        .when(sfn.Condition.booleanEquals("$.reenable.reenabled", true), labelAndRecord)
        .otherwise(createKey),
    );
    const definition = claim.next(
      new sfn.Choice(this, "ClaimOutcome")
        .when(sfn.Condition.stringEquals("$.outcome", "claimed"), createKey)
        .when(sfn.Condition.stringEquals("$.outcome", "returning"), reenableKey)
        .when(
          sfn.Condition.stringEquals("$.outcome", "alreadyActive"),
          new sfn.Succeed(this, "AlreadyOnboarded"),
        )
        .when(
          sfn.Condition.stringEquals("$.outcome", "inProgress"),
          new sfn.Succeed(this, "OnboardingInProgressElsewhere"),
        )
        // Issued at or before the practice's last transition (docs/architecture.md §4, invariant 10): the
        // claim changed nothing but the audit trail. It succeeds: the request was handled, not failed.
        .when(sfn.Condition.stringEquals("$.outcome", "stale"), new sfn.Succeed(this, "Stale"))
        .otherwise(
          new sfn.Fail(this, "UnexpectedClaimOutcome", {
            error: "UnexpectedClaimOutcome",
            cause: "the claim step returned an outcome this workflow does not know",
          }),
        ),
    );

    ({ stateMachine: this.stateMachine, logGroup: this.logGroup } = workflowStateMachine(this, {
      name: "Onboarding",
      comment:
        "Onboards a practice: claim, create and label its CustomerKey, record it; compensates on failure",
      definition,
      timeout: props.executionTimeout ?? Duration.minutes(30),
      encryptionKey: props.encryptionKey,
      logLevel: props.logLevel,
      logRetention: props.logRetention,
      invokedFunctions: Object.values(f),
    }));
  }
}
