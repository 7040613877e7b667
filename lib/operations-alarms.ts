import { ArnFormat, Duration, Stack } from "aws-cdk-lib";
import type * as apigwv2 from "aws-cdk-lib/aws-apigatewayv2";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as kms from "aws-cdk-lib/aws-kms";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as sns from "aws-cdk-lib/aws-sns";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { DIMENSION, METRIC, WEBHOOK_INVALID_SIGNATURE } from "../contracts/metric-names.js";
import { addOperationsDashboardWidgets, type WatchedWorkflow } from "./operations-dashboard.js";
import { customMetric } from "./operations-metric.js";

/** Where the runbook lives; every alarm description starts with `Runbook: <RUNBOOK_PATH>#<anchor>`. */
export const RUNBOOK_PATH = "docs/runbook.md";

/** The runbook anchor of each alarm (docs/runbook.md has an `<a id>` for each). */
export const ALARM_RUNBOOK_ANCHORS = {
  executionsFailed: "alarm-executions-failed",
  executionsTimedOut: "alarm-executions-timed-out",
  executionsAborted: "alarm-executions-aborted",
  portalUnauthorized: "alarm-portal-unauthorized",
  portalThrottled: "alarm-portal-throttled",
  webhook5xx: "alarm-webhook-5xx",
  webhookSignatureRejections: "alarm-webhook-signature-rejections",
  reconciliationFindings: "alarm-reconciliation-findings",
  keysNotInstalled: "alarm-keys-not-installed",
  schedulerDeadLetters: "alarm-scheduler-dead-letters",
  claimReleaseDeadLetters: "alarm-claim-release-dead-letters",
  domainEventPublishFailed: "alarm-domain-event-publish-failed",
  outboxDeadLetters: "alarm-outbox-dead-letters",
} as const;

/** When each alarm fires. Counts are per evaluation period unless said otherwise. */
export interface OperationsAlarmThresholds {
  /** Failed executions of one workflow. @default 1 */
  readonly executionsFailed?: number;
  /** Timed-out executions of one workflow. @default 1 */
  readonly executionsTimedOut?: number;
  /** Aborted (stopped) executions of one workflow. @default 1 */
  readonly executionsAborted?: number;
  /** Portal requests refused for the credentials for good (PortalCredentialsRejected). @default 1 */
  readonly portalCredentialsRejected?: number;
  /** Throttled portal requests per period above which a period counts as throttled. @default 5 */
  readonly portalThrottledPerPeriod?: number;
  /** Consecutive throttled periods before the alarm fires ("sustained"). @default 3 */
  readonly portalThrottledPeriods?: number;
  /** Webhook deliveries answered 5xx. @default 1 */
  readonly webhook5xx?: number;
  /** Webhook deliveries rejected for an invalid signature. @default 10 */
  readonly webhookInvalidSignatures?: number;
  /** Findings of one reconciliation run that need a person. @default 1 */
  readonly reconciliationFindingsNeedingAttention?: number;
  /**
   * Enabled keys of ACTIVE practices still not installed after the run's notYetAssignedDays (7 unless the run says
   * otherwise), per reconciliation run: keys Open Dental bills for nothing. @default 1
   */
  readonly keysEnabledNotInstalled?: number;
  /** Messages waiting in the scheduler's dead-letter queue above which it alarms. @default 0 */
  readonly schedulerDeadLetters?: number;
  /** Messages waiting in the claim release's dead-letter queue above which it alarms. @default 0 */
  readonly claimReleaseDeadLetters?: number;
  /** Domain events not published. @default 1 */
  readonly domainEventPublishFailures?: number;
}

export interface OperationsAlarmsProps {
  /** Key the alarm topic is encrypted with (EncryptionKey lets CloudWatch alarms use it). */
  readonly encryptionKey: kms.IKey;
  /** Workflows to alarm on (failed, timed out, aborted) and chart. @default none */
  readonly stateMachines?: readonly WatchedWorkflow[];
  /** The webhook function: its errors count as webhook 5xx, and it is charted. @default not watched */
  readonly webhookFunction?: lambda.IFunction;
  /** Other functions behind the webhook API (the CRM provider routes): their errors count as webhook 5xx too. */
  readonly otherWebhookFunctions?: readonly lambda.IFunction[];
  /** The webhook HTTP API or its stage: its 5xx count as webhook 5xx. @default only the handler's Webhook5xx */
  readonly webhookApi?: apigwv2.IHttpApi | apigwv2.IHttpStage;
  /** EventBridge Scheduler's dead-letter queue (failed reconciliation starts). @default not watched */
  readonly schedulerDeadLetterQueue?: sqs.IQueue;
  /** The claim release's dead-letter queue (claims of ended executions not released). @default not watched */
  readonly claimReleaseDeadLetterQueue?: sqs.IQueue;
  /** Dead-letter queue of the outbox delivery (lib/domain-event-outbox.ts). @default no alarm */
  readonly outboxDeadLetterQueue?: sqs.IQueue;
  /** Address subscribed to the alarm topic (it must confirm the subscription). @default no subscription */
  readonly alarmEmail?: string;
  /** @default see OperationsAlarmThresholds */
  readonly thresholds?: OperationsAlarmThresholds;
  /** Evaluation period of the alarms on executions, the portal, the webhook and events. @default 5 minutes */
  readonly period?: Duration;
  /** Evaluation period of the reconciliation findings alarm; at least the schedule's interval. @default 1 hour */
  readonly reconciliationPeriod?: Duration;
  /** @default "PracticeOnboarding-<stack name>" */
  readonly dashboardName?: string;
}

function constructIdFor(name: string): string {
  return name.replace(/[^A-Za-z0-9]/g, "");
}

/**
 * The operator's view: an encrypted SNS topic (optionally emailed), one alarm per thing that needs a person —
 * each description starts with its runbook anchor — and a dashboard of the workflows, the portal, the webhook,
 * reconciliation findings and domain events. Metric names come from contracts/metric-names.ts, which the handlers use.
 */
export class OperationsAlarms extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;
  private readonly action: SnsAction;

  constructor(scope: Construct, id: string, props: OperationsAlarmsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const period = props.period ?? Duration.minutes(5);
    const minutes = period.toMinutes();
    const t = props.thresholds ?? {};
    const workflows = props.stateMachines ?? [];

    this.topic = new sns.Topic(this, "Topic", {
      displayName: "Practice onboarding alarms",
      masterKey: props.encryptionKey,
      enforceSSL: true,
    });
    // enforceSSL replaces SNS's default access policy, so CloudWatch's right to publish is stated here.
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: "CloudWatchAlarmsOfThisAccountPublish",
        principals: [new iam.ServicePrincipal("cloudwatch.amazonaws.com")],
        actions: ["sns:Publish"],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { "aws:SourceAccount": stack.account },
          ArnLike: {
            "aws:SourceArn": stack.formatArn({
              service: "cloudwatch",
              resource: "alarm",
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
              resourceName: "*",
            }),
          },
        },
      }),
    );
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    this.action = new SnsAction(this.topic);

    for (const workflow of workflows) {
      const idPart = constructIdFor(workflow.name);
      const sm = workflow.stateMachine;
      this.alarm(`${idPart}ExecutionsFailed`, {
        anchor: ALARM_RUNBOOK_ANCHORS.executionsFailed,
        summary: (n) => `${workflow.name}: ${n} or more executions failed in ${minutes} min`,
        metric: sm.metricFailed({ period, statistic: cloudwatch.Stats.SUM }),
        threshold: t.executionsFailed ?? 1,
      });
      this.alarm(`${idPart}ExecutionsTimedOut`, {
        anchor: ALARM_RUNBOOK_ANCHORS.executionsTimedOut,
        summary: (n) => `${workflow.name}: ${n} or more executions timed out in ${minutes} min`,
        metric: sm.metricTimedOut({ period, statistic: cloudwatch.Stats.SUM }),
        threshold: t.executionsTimedOut ?? 1,
      });
      this.alarm(`${idPart}ExecutionsAborted`, {
        anchor: ALARM_RUNBOOK_ANCHORS.executionsAborted,
        summary: (n) => `${workflow.name}: ${n} or more executions were stopped in ${minutes} min`,
        metric: sm.metricAborted({ period, statistic: cloudwatch.Stats.SUM }),
        threshold: t.executionsAborted ?? 1,
      });
    }

    this.alarm("PortalUnauthorized", {
      anchor: ALARM_RUNBOOK_ANCHORS.portalUnauthorized,
      summary: (n) =>
        `the portal refused the DeveloperKey/DeveloperPortalKey even after re-reading the secret (${n} or more requests in ${minutes} min)`,
      metric: customMetric(METRIC.portalCredentialsRejected, period),
      threshold: t.portalCredentialsRejected ?? 1,
    });

    const throttledPeriods = t.portalThrottledPeriods ?? 3;
    const throttledPerPeriod = t.portalThrottledPerPeriod ?? 5;
    this.alarm("PortalThrottled", {
      anchor: ALARM_RUNBOOK_ANCHORS.portalThrottled,
      summary: (n) =>
        `the portal throttled more than ${n} requests in each of ${throttledPeriods} consecutive ${minutes}-min periods`,
      metric: customMetric(METRIC.portalCalls, period, {
        dimensions: { [DIMENSION.portalOutcome]: "PortalThrottled" },
      }),
      threshold: throttledPerPeriod,
      comparison: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      periods: throttledPeriods,
    });

    this.alarm("Webhook5xx", {
      anchor: ALARM_RUNBOOK_ANCHORS.webhook5xx,
      summary: (n) => `${n} or more webhook deliveries answered 5xx in ${minutes} min (the CRM retries them)`,
      metric: this.webhook5xxMetric(props, period),
      threshold: t.webhook5xx ?? 1,
    });

    this.alarm("WebhookSignatureRejections", {
      anchor: ALARM_RUNBOOK_ANCHORS.webhookSignatureRejections,
      summary: (n) => `${n} or more webhook deliveries rejected for an invalid signature in ${minutes} min`,
      metric: customMetric(METRIC.webhookRejected, period, {
        dimensions: { [DIMENSION.webhookRejectionReason]: WEBHOOK_INVALID_SIGNATURE },
      }),
      threshold: t.webhookInvalidSignatures ?? 10,
    });

    const reconciliationPeriod = props.reconciliationPeriod ?? Duration.hours(1);
    this.alarm("ReconciliationFindings", {
      anchor: ALARM_RUNBOOK_ANCHORS.reconciliationFindings,
      summary: (n) => `a reconciliation reported ${n} or more findings that need a person`,
      metric: customMetric(METRIC.reconciliationFindingsNeedingAttention, reconciliationPeriod, {
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: t.reconciliationFindingsNeedingAttention ?? 1,
    });

    this.alarm("KeysNotInstalled", {
      anchor: ALARM_RUNBOOK_ANCHORS.keysNotInstalled,
      summary: (n) =>
        `a reconciliation found ${n} or more enabled keys of ACTIVE practices not installed in Open Dental after its notYetAssignedDays (billed for nothing)`,
      metric: customMetric(METRIC.keysEnabledNotInstalled, reconciliationPeriod, {
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: t.keysEnabledNotInstalled ?? 1,
    });

    if (props.schedulerDeadLetterQueue) {
      this.alarm("SchedulerDeadLetters", {
        anchor: ALARM_RUNBOOK_ANCHORS.schedulerDeadLetters,
        summary: (n) =>
          `the scheduler could not start a reconciliation: more than ${n} messages in its dead-letter queue`,
        metric: props.schedulerDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period,
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        threshold: t.schedulerDeadLetters ?? 0,
        comparison: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      });
    }

    if (props.claimReleaseDeadLetterQueue) {
      this.alarm("ClaimReleaseDeadLetters", {
        anchor: ALARM_RUNBOOK_ANCHORS.claimReleaseDeadLetters,
        summary: (n) =>
          `the claim of an ended onboarding/offboarding execution was not released: more than ${n} messages in the claim release's dead-letter queue`,
        metric: props.claimReleaseDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period,
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        threshold: t.claimReleaseDeadLetters ?? 0,
        comparison: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      });
    }

    if (props.outboxDeadLetterQueue) {
      this.alarm("OutboxDeadLetters", {
        anchor: ALARM_RUNBOOK_ANCHORS.outboxDeadLetters,
        summary: (n) =>
          `recorded domain events were given up on after every retry: more than ${n} batches in the outbox delivery's dead-letter queue`,
        metric: props.outboxDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period,
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        threshold: 0,
        comparison: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      });
    }

    this.alarm("DomainEventPublishFailed", {
      anchor: ALARM_RUNBOOK_ANCHORS.domainEventPublishFailed,
      // Delivery retries from the stream: a failure here is a delay, not a loss (the dead-letter alarm is).
      summary: (n) => `${n} or more domain event deliveries failed and are being retried in ${minutes} min`,
      metric: customMetric(METRIC.domainEventPublishFailed, period),
      threshold: t.domainEventPublishFailures ?? 1,
    });

    this.dashboard = new cloudwatch.Dashboard(this, "Dashboard", {
      dashboardName: props.dashboardName ?? `PracticeOnboarding-${stack.stackName}`,
      defaultInterval: Duration.days(1),
    });
    addOperationsDashboardWidgets(this.dashboard, { ...props, alarms: this.alarms, workflows, period });
  }

  /**
   * The handler's own Webhook5xx and, when given, the API's 5xx and the function's errors. MAX rather than a sum:
   * a 500 the handler returns is also an API 5xx, and a crash is also a function error.
   */
  private webhook5xxMetric(props: OperationsAlarmsProps, period: Duration): cloudwatch.IMetric {
    const handler5xx = customMetric(METRIC.webhook5xx, period);
    const others: Record<string, cloudwatch.IMetric> = {};
    if (props.webhookApi) others.api5xx = props.webhookApi.metricServerError({ period, statistic: "Sum" });
    if (props.webhookFunction)
      others.fnErrors = props.webhookFunction.metricErrors({ period, statistic: "Sum" });
    (props.otherWebhookFunctions ?? []).forEach((fn, index) => {
      others[`otherFnErrors${index}`] = fn.metricErrors({ period, statistic: "Sum" });
    });
    if (Object.keys(others).length === 0) return handler5xx;
    const ids = ["handler5xx", ...Object.keys(others)];
    return new cloudwatch.MathExpression({
      expression: `MAX([${ids.map((metricId) => `FILL(${metricId}, 0)`).join(", ")}])`,
      usingMetrics: { handler5xx, ...others },
      period,
      label: "Webhook 5xx",
    });
  }

  private alarm(
    id: string,
    spec: {
      anchor: string;
      /** One sentence, given the threshold. */
      summary: (threshold: number) => string;
      metric: cloudwatch.IMetric;
      threshold: number;
      comparison?: cloudwatch.ComparisonOperator;
      periods?: number;
    },
  ): cloudwatch.Alarm {
    const comparison = spec.comparison ?? cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmDescription: `Runbook: ${RUNBOOK_PATH}#${spec.anchor} — ${spec.summary(spec.threshold)}.`,
      metric: spec.metric,
      threshold: spec.threshold,
      comparisonOperator: comparison,
      evaluationPeriods: spec.periods ?? 1,
      datapointsToAlarm: spec.periods ?? 1,
      // No data means nothing happened: no executions, no portal calls, no deliveries.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.alarms.push(alarm);
    return alarm;
  }
}
