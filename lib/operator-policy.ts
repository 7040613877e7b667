import { ArnFormat, Stack } from "aws-cdk-lib";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as kms from "aws-cdk-lib/aws-kms";
import type * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import { acknowledgeWildcardResource } from "./nag-acknowledgments.js";

export interface OperatorPolicyProps {
  /** The workflows operators start, follow and stop (onboarding, offboarding, reconciliation). */
  readonly stateMachines: readonly sfn.IStateMachine[];
  /** The practice table: practice records, audit trail and reconciliation reports. */
  readonly table: dynamodb.ITable;
  /** The customer-managed key of the table and the state machines. */
  readonly encryptionKey: kms.IKey;
}

/** Statement ids, so docs/ops-cli.md, tests and reviewers can name each permission. */
export const OPERATOR_POLICY_SIDS = {
  runWorkflows: "StartAndStopTheWorkflows",
  listExecutions: "ListTheWorkflowsExecutions",
  followExecutions: "FollowTheWorkflowsExecutions",
  executionDataKey: "ExecutionDataThroughStepFunctions",
  readTable: "ReadPracticeRecordsAndReports",
  tableKey: "TableDataThroughDynamoDB",
} as const;

/**
 * The managed policy for the people who run `ops` (attach it to their role or SSO permission set): start, follow,
 * list and stop the three workflows, with the key Step Functions encrypts their execution data with, and read the
 * practice table (records, audit trail, reconciliation reports) through DynamoDB. Nothing else: no table writes, no
 * secrets, no key administration. `ops --local` is evaluated against exactly this document.
 *
 * GetItem/Query return whole practice items, the CustomerKey only as its `kms1:` ciphertext: this policy has no
 * action on the custody key, so an operator never opens it (docs/architecture.md §4 invariant 13).
 */
export class OperatorPolicy extends Construct {
  readonly policy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: OperatorPolicyProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const machines = props.stateMachines.map((machine) => machine.stateMachineArn);
    const executions = props.stateMachines.map((machine) =>
      stack.formatArn({
        service: "states",
        resource: "execution",
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        resourceName: `${stack.splitArn(machine.stateMachineArn, ArnFormat.COLON_RESOURCE_NAME).resourceName}:*`,
      }),
    );
    this.policy = new iam.ManagedPolicy(this, "Policy", {
      description:
        "Operators of practice onboarding (ops CLI): run and follow the workflows, read practice records",
      statements: [
        new iam.PolicyStatement({
          sid: OPERATOR_POLICY_SIDS.runWorkflows,
          actions: ["states:StartExecution"],
          resources: machines,
        }),
        new iam.PolicyStatement({
          sid: OPERATOR_POLICY_SIDS.listExecutions,
          actions: ["states:ListExecutions"],
          resources: machines,
        }),
        new iam.PolicyStatement({
          sid: OPERATOR_POLICY_SIDS.followExecutions,
          actions: ["states:DescribeExecution", "states:GetExecutionHistory", "states:StopExecution"],
          resources: executions,
        }),
        // Step Functions encrypts inputs (GenerateDataKey) and decrypts histories (Decrypt) with the caller's
        // permissions, for these state machines only.
        new iam.PolicyStatement({
          sid: OPERATOR_POLICY_SIDS.executionDataKey,
          actions: ["kms:GenerateDataKey", "kms:Decrypt"],
          resources: [props.encryptionKey.keyArn],
          conditions: {
            StringEquals: {
              "kms:ViaService": `states.${stack.region}.amazonaws.com`,
              "kms:EncryptionContext:aws:states:stateMachineArn": machines,
            },
          },
        }),
        new iam.PolicyStatement({
          sid: OPERATOR_POLICY_SIDS.readTable,
          actions: ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem"],
          resources: [props.table.tableArn, `${props.table.tableArn}/index/*`],
        }),
        new iam.PolicyStatement({
          sid: OPERATOR_POLICY_SIDS.tableKey,
          actions: ["kms:Decrypt"],
          resources: [props.encryptionKey.keyArn],
          conditions: { StringEquals: { "kms:ViaService": `dynamodb.${stack.region}.amazonaws.com` } },
        }),
      ],
    });
    for (const execution of executions)
      acknowledgeWildcardResource(
        this.policy,
        execution,
        "Executions are named at start (crm-<webhook id>, ops-…): every execution of one state machine, no other.",
      );
    acknowledgeWildcardResource(
      this.policy,
      `${props.table.tableArn}/index/*`,
      "Read-only queries on the practice table's own indexes (byStatus): ops list and reconcile --show.",
    );
  }
}
