// The Standard state machine every workflow runs as: JSONPath only (the local engine runs exactly this and cannot
// run JSONata), traced, logging to an encrypted, retained log group without execution data, execution history
// encrypted with the customer-managed key.
import { type Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import type * as kms from "aws-cdk-lib/aws-kms";
import * as logs from "aws-cdk-lib/aws-logs";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import type { Construct } from "constructs";
import type { HandlerFunction } from "./handler-function.js";
import { acknowledgeStateMachineRole } from "./nag-acknowledgments.js";

export interface WorkflowStateMachineProps {
  /** Suffix of the state machine's name and its log group's: `<stack>-<name>`, `/aws/vendedlogs/states/<stack>-<name>`. */
  readonly name: string;
  readonly comment: string;
  readonly definition: sfn.IChainable;
  readonly timeout: Duration;
  readonly encryptionKey: kms.IKey;
  /** @default sfn.LogLevel.ALL */
  readonly logLevel?: sfn.LogLevel;
  /** @default three months */
  readonly logRetention?: logs.RetentionDays;
  /** Every function a Task invokes (for the role's acknowledged `<function>:*` grants). */
  readonly invokedFunctions: readonly HandlerFunction[];
}

/** Creates `Logs` and `StateMachine` in `scope`. */
export function workflowStateMachine(
  scope: Construct,
  props: WorkflowStateMachineProps,
): { readonly stateMachine: sfn.StateMachine; readonly logGroup: logs.LogGroup } {
  const logGroup = new logs.LogGroup(scope, "Logs", {
    logGroupName: `/aws/vendedlogs/states/${Stack.of(scope).stackName}-${props.name}`,
    retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
    encryptionKey: props.encryptionKey,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const stateMachine = new sfn.StateMachine(scope, "StateMachine", {
    // Named, because CDK writes the role's grant on its own key as `kms:EncryptionContext:aws:states:stateMachineArn`
    // = `…:stateMachine:<name>`: unnamed, that is `…:stateMachine:` and the state machine could not use its key.
    stateMachineName: `${Stack.of(scope).stackName}-${props.name}`,
    stateMachineType: sfn.StateMachineType.STANDARD,
    queryLanguage: sfn.QueryLanguage.JSON_PATH,
    comment: props.comment,
    definitionBody: sfn.DefinitionBody.fromChainable(props.definition),
    timeout: props.timeout,
    tracingEnabled: true,
    logs: { destination: logGroup, level: props.logLevel ?? sfn.LogLevel.ALL, includeExecutionData: false },
    encryptionConfiguration: new sfn.CustomerManagedEncryptionConfiguration(props.encryptionKey),
  });
  acknowledgeStateMachineRole(
    stateMachine,
    props.invokedFunctions.map((handler) => handler.function.functionArn),
  );
  return { stateMachine, logGroup };
}
