import { Duration, Stack, Validations } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as kms from "aws-cdk-lib/aws-kms";
import * as scheduler from "aws-cdk-lib/aws-scheduler";
import * as targets from "aws-cdk-lib/aws-scheduler-targets";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import type * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import { deadLetterQueue } from "./dead-letter-queue.js";

export interface ReconciliationScheduleProps {
  /** The Reconciliation state machine the schedule starts. */
  readonly stateMachine: sfn.IStateMachine;
  /** Customer-managed key for the dead-letter queue. */
  readonly encryptionKey: kms.IKey;
  /** When to reconcile, as an EventBridge Scheduler expression. @default "rate(1 hour)" */
  readonly scheduleExpression?: string;
  /** Execution input; repair stays off unless asked for. @default `{}` (report-only, defaults for the rest) */
  readonly input?: {
    readonly repair?: boolean;
    readonly graceMinutes?: number;
    readonly notYetAssignedDays?: number;
  };
  /** Scheduler's retries when StartExecution fails (throttled, unavailable). @default 5 */
  readonly retryAttempts?: number;
  /** How long Scheduler keeps retrying one start. @default 30 minutes (half the default interval) */
  readonly maxEventAge?: Duration;
  /** Whether the schedule runs. @default true */
  readonly enabled?: boolean;
}

/**
 * Starts the Reconciliation state machine on a schedule (EventBridge Scheduler). A start Scheduler could not make
 * after its retries lands in the encrypted dead-letter queue, which alarms watch (`deadLetterQueue`).
 */
export class ReconciliationSchedule extends Construct {
  readonly schedule: scheduler.Schedule;
  /** Starts that failed after every retry; alarm on ApproximateNumberOfMessagesVisible > 0. */
  readonly deadLetterQueue: sqs.Queue;
  /** The role Scheduler assumes to start executions and send dead letters (the stack grants it the key for both). */
  readonly role: iam.IRole;

  constructor(scope: Construct, id: string, props: ReconciliationScheduleProps) {
    super(scope, id);
    this.deadLetterQueue = deadLetterQueue(this, props.encryptionKey, "the schedule");
    // Our own role (CDK's default is a stack-level singleton), so its one finding is acknowledged on it alone.
    const role = new iam.Role(this, "Role", {
      assumedBy: new iam.ServicePrincipal("scheduler.amazonaws.com", {
        conditions: { StringEquals: { "aws:SourceAccount": Stack.of(this).account } },
      }),
    });
    Validations.of(role).acknowledge({
      id: "HIPAA.Security::HIPAA.Security-IAMNoInlinePolicy",
      reason:
        "The schedule's role holds exactly StartExecution, the dead-letter send and the key for both as CDK's inline default policy, deleted with it.",
    });
    this.role = role;
    this.schedule = new scheduler.Schedule(this, "Schedule", {
      description: "Starts a reconciliation of the portal's CustomerKeys with the practice table",
      schedule: scheduler.ScheduleExpression.expression(props.scheduleExpression ?? "rate(1 hour)"),
      enabled: props.enabled ?? true,
      target: new targets.StepFunctionsStartExecution(props.stateMachine, {
        input: scheduler.ScheduleTargetInput.fromObject(props.input ?? {}),
        role,
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: props.retryAttempts ?? 5,
        maxEventAge: props.maxEventAge ?? Duration.minutes(30),
      }),
    });
  }
}
