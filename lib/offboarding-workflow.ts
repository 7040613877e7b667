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

export interface OffboardingWorkflowProps {
  /** Table holding practice records, key items, the audit trail and the rate limiter. */
  readonly table: PracticeTable;
  /** Secret holding `{"developerKey","developerPortalKey"}`; only the key-disabling function may read it. */
  readonly portalCredentials: secretsmanager.ISecret;
  /** Customer-managed key for the log groups and the execution history. */
  readonly encryptionKey: kms.IKey;
  /** Open Dental Developer Portal base URL. @default "https://api.opendental.com/api/v1" */
  readonly portalBaseUrl?: string;
  /** Account-wide portal budget in requests per second, shared with onboarding through the table. @default 1 */
  readonly portalMaxRps?: number;
  /** Per-request portal timeout. @default 15 seconds */
  readonly portalTimeout?: Duration;
  /** Whole-execution limit. @default 15 minutes */
  readonly executionTimeout?: Duration;
  /** Step Functions log level; execution data is never logged. @default sfn.LogLevel.ALL */
  readonly logLevel?: sfn.LogLevel;
  /** Log retention for the state machine and its functions. @default three months */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Offboarding as a Standard state machine, input `{practiceId, reason, requestedBy?}`: claim → disable the key
 * (`PUT KeyStatus: DisabledByDeveloper`) → record OFFBOARDED. An already offboarded practice succeeds at once
 * without a portal call; an unknown or busy one fails at the claim with nothing written. A failure after the
 * claim puts the practice back to its previous status (compensation) and ends in Fail.
 * JSONPath only: the local engine runs exactly this definition and cannot run JSONata.
 */
export class OffboardingWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;
  readonly functions: {
    readonly claim: HandlerFunction;
    readonly disableKey: HandlerFunction;
    readonly record: HandlerFunction;
    readonly compensate: HandlerFunction;
  };

  constructor(scope: Construct, id: string, props: OffboardingWorkflowProps) {
    super(scope, id);
    const table = props.table.table;
    const tableEnv = { TABLE_NAME: table.tableName };
    const portalEnv = portalFunctionEnvironment(table.tableName, props);
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
        "functions/offboarding/offboarding-claim.ts",
        "Offboarding: validate input, claim the practice",
        false,
      ),
      disableKey: fn(
        "DisableKey",
        "functions/offboarding/offboarding-disable-key.ts",
        "Offboarding: PUT KeyStatus DisabledByDeveloper",
        true,
      ),
      record: fn(
        "Record",
        "functions/offboarding/offboarding-record.ts",
        "Offboarding: mark the practice OFFBOARDED",
        false,
      ),
      compensate: fn(
        "Compensate",
        "functions/offboarding/offboarding-compensate.ts",
        "Offboarding: put the practice back to its previous status",
        false,
      ),
    };
    const f = this.functions;
    // Exactly the item operations each function performs: the claim reads, then one transaction (update +
    // audit put); the key step also takes rate-limiter slots (UpdateItem) and marks the key item.
    for (const handler of Object.values(f)) {
      // On the table alone: Table.grant() would add `<table>/index/*`, where item actions mean nothing.
      handler.function.addToRolePolicy(
        new iam.PolicyStatement({
          actions: [
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            // The claim's transaction checks that the claim release has not recorded its execution as ended.
            ...(handler === f.claim ? ["dynamodb:ConditionCheckItem"] : []),
          ],
          resources: [table.tableArn],
        }),
      );
      // Table.grant() covers the table only: items are encrypted with the customer-managed key.
      table.encryptionKey?.grant(handler.function, ...TABLE_KEY_ACTIONS);
      acknowledgeTableKeyActions(handler.function);
    }
    props.portalCredentials.grantRead(f.disableKey.function);

    const executionName = "$$.Execution.Name";
    const owned = { "practiceId.$": "$.practiceId", "executionName.$": executionName };
    const invoke = (
      sid: string,
      handler: HandlerFunction,
      payload: Record<string, unknown>,
      resultPath: string,
      outputPath?: string,
    ) => lambdaStep(this, sid, handler, payload, resultPath, outputPath);

    // The claim's result becomes the whole state (the raw input and its reason go no further). ResultPath +
    // OutputPath rather than ResultPath "$", which aws-local-stepfunctions mishandles.
    const claim = invoke(
      "ClaimForOffboarding",
      f.claim,
      { "input.$": "$", "executionName.$": executionName },
      "$.claim",
      "$.claim",
    );
    const disableKey = invoke("DisableKey", f.disableKey, owned, "$.disable");
    const recordOffboarded = invoke("RecordOffboarded", f.record, owned, "$.record");
    const compensate = invoke(
      "RestorePractice",
      f.compensate,
      { ...owned, "error.$": "$.error" },
      "$.compensation",
    );

    compensateOnFailure(
      this,
      [disableKey, recordOffboarded],
      compensate,
      compensatedFailure(this, "OffboardingFailed"),
    );
    disableKey.next(recordOffboarded);
    const offboarded = new sfn.Succeed(this, "Offboarded");
    // PracticeOffboarded is written in the record step's own transaction and delivered from the table's stream
    // (lib/domain-event-outbox.ts): no publish state.
    recordOffboarded.next(offboarded);

    const definition = claim.next(
      new sfn.Choice(this, "OffboardingClaimOutcome")
        .when(sfn.Condition.stringEquals("$.outcome", "claimed"), disableKey)
        .when(
          sfn.Condition.stringEquals("$.outcome", "alreadyOffboarded"),
          new sfn.Succeed(this, "AlreadyOffboarded"),
        )
        // Issued at or before the practice's last transition (docs/architecture.md §4, invariant 10): the
        // claim changed nothing but the audit trail. It succeeds: the request was handled, not failed.
        .when(sfn.Condition.stringEquals("$.outcome", "stale"), new sfn.Succeed(this, "Stale"))
        .otherwise(
          new sfn.Fail(this, "UnexpectedClaimOutcome", {
            error: "UnexpectedClaimOutcome",
            cause: "the offboarding claim step returned an outcome this workflow does not know",
          }),
        ),
    );

    ({ stateMachine: this.stateMachine, logGroup: this.logGroup } = workflowStateMachine(this, {
      name: "Offboarding",
      comment:
        "Offboards a practice: claim, disable its CustomerKey, record OFFBOARDED; restores it on failure",
      definition,
      timeout: props.executionTimeout ?? Duration.minutes(15),
      encryptionKey: props.encryptionKey,
      logLevel: props.logLevel,
      logRetention: props.logRetention,
      invokedFunctions: Object.values(f),
    }));
  }
}
