// The operator's dashboard (lib/operations-alarms.ts builds it): alarm status, the workflows' executions, the
// portal, reconciliation findings, domain events and the webhook edge, charted from the handlers' metrics.
import type { Duration } from "aws-cdk-lib";
import type * as apigwv2 from "aws-cdk-lib/aws-apigatewayv2";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import type * as sfn from "aws-cdk-lib/aws-stepfunctions";
import {
  DIMENSION,
  METRIC,
  METRICS_NAMESPACE,
  PORTAL_CALL_OUTCOMES,
  RECONCILIATION_FINDING_CATEGORIES,
  SERVICE_DIMENSION,
  WEBHOOK_INVALID_SIGNATURE,
} from "../contracts/metric-names.js";
import { customMetric } from "./operations-metric.js";

/** A workflow whose executions are alarmed on and charted. */
export interface WatchedWorkflow {
  /** Short name shown in alarm descriptions and widget titles, e.g. `Onboarding`. Unique among workflows. */
  readonly name: string;
  readonly stateMachine: sfn.IStateMachine;
}

export interface OperationsDashboardProps {
  readonly alarms: readonly cloudwatch.IAlarm[];
  readonly workflows: readonly WatchedWorkflow[];
  readonly period: Duration;
  readonly webhookFunction?: lambda.IFunction;
  readonly webhookApi?: apigwv2.IHttpApi | apigwv2.IHttpStage;
  readonly schedulerDeadLetterQueue?: sqs.IQueue;
  readonly claimReleaseDeadLetterQueue?: sqs.IQueue;
}

export function addOperationsDashboardWidgets(
  dashboard: cloudwatch.Dashboard,
  props: OperationsDashboardProps,
): void {
  const { alarms, workflows, period } = props;
  const graph = (
    title: string,
    left: cloudwatch.IMetric[],
    extra: Partial<cloudwatch.GraphWidgetProps> = {},
  ) => new cloudwatch.GraphWidget({ title, left, width: 8, height: 6, period, ...extra });

  dashboard.addWidgets(
    new cloudwatch.AlarmStatusWidget({ title: "Alarms", alarms: [...alarms], width: 24, height: 4 }),
  );

  if (workflows.length > 0) {
    dashboard.addWidgets(
      ...workflows.map(({ name, stateMachine: sm }) =>
        graph(`${name} executions`, [
          sm.metricStarted({ period, statistic: "Sum", label: "started" }),
          sm.metricSucceeded({ period, statistic: "Sum", label: "succeeded" }),
          sm.metricFailed({ period, statistic: "Sum", label: "failed" }),
          sm.metricTimedOut({ period, statistic: "Sum", label: "timed out" }),
          sm.metricAborted({ period, statistic: "Sum", label: "aborted" }),
        ]),
      ),
    );
  }

  dashboard.addWidgets(
    graph("Portal latency (ms)", [
      customMetric(METRIC.portalCallLatency, period, { statistic: "p50", label: "p50" }),
      customMetric(METRIC.portalCallLatency, period, { statistic: "p90", label: "p90" }),
    ]),
    graph(
      "Portal calls by outcome",
      PORTAL_CALL_OUTCOMES.map((outcome) =>
        customMetric(METRIC.portalCalls, period, {
          dimensions: { [DIMENSION.portalOutcome]: outcome },
          label: outcome,
        }),
      ),
      {
        right: [customMetric(METRIC.portalCredentialsRejected, period, { label: "credentials rejected" })],
      },
    ),
    graph("Portal calls by HTTP status", [
      new cloudwatch.MathExpression({
        expression: `SEARCH('{${METRICS_NAMESPACE},${SERVICE_DIMENSION},${DIMENSION.portalStatus}} MetricName="${METRIC.portalCalls}"', 'Sum', ${period.toSeconds()})`,
        // Empty: each series found keeps its own label (its dimension value).
        label: "",
        period,
      }),
    ]),
  );

  dashboard.addWidgets(
    graph(
      "Reconciliation findings by category",
      RECONCILIATION_FINDING_CATEGORIES.map((category) =>
        customMetric(METRIC.reconciliationFindings, period, {
          dimensions: { [DIMENSION.findingCategory]: category },
          statistic: "Maximum",
          label: category,
        }),
      ),
      { stacked: true },
    ),
    graph(
      "Keys not installed / time to install",
      [
        customMetric(METRIC.keysEnabledNotInstalled, period, {
          statistic: "Maximum",
          label: "enabled, not installed after N days",
        }),
      ],
      {
        right: [
          customMetric(METRIC.keyTimeToInstall, period, {
            statistic: "p50",
            label: "time to install p50 (s)",
          }),
        ],
      },
    ),
    graph("Findings needing a person", [
      customMetric(METRIC.reconciliationFindingsNeedingAttention, period, {
        statistic: "Maximum",
        label: "needing attention",
      }),
    ]),
    graph("Domain events", [
      customMetric(METRIC.domainEventPublished, period, { label: "published" }),
      customMetric(METRIC.domainEventPublishFailed, period, { label: "not published" }),
    ]),
  );

  const edgeWidgets: cloudwatch.IWidget[] = [
    graph("Webhook deliveries", [
      customMetric(METRIC.webhookAccepted, period, { label: "accepted" }),
      customMetric(METRIC.webhookDuplicate, period, { label: "duplicate" }),
      customMetric(METRIC.webhookIgnored, period, { label: "ignored" }),
      customMetric(METRIC.webhook5xx, period, { label: "5xx" }),
    ]),
    graph("Webhook rejections by reason", [
      new cloudwatch.MathExpression({
        expression: `SEARCH('{${METRICS_NAMESPACE},${SERVICE_DIMENSION},${DIMENSION.webhookRejectionReason}} MetricName="${METRIC.webhookRejected}"', 'Sum', ${period.toSeconds()})`,
        // Empty: each series found keeps its own label (its dimension value).
        label: "",
        period,
      }),
      customMetric(METRIC.webhookRejected, period, {
        dimensions: { [DIMENSION.webhookRejectionReason]: WEBHOOK_INVALID_SIGNATURE },
        label: WEBHOOK_INVALID_SIGNATURE,
      }),
    ]),
  ];
  if (props.webhookApi) {
    edgeWidgets.push(
      graph("Webhook API", [
        props.webhookApi.metricCount({ period, statistic: "Sum", label: "requests" }),
        props.webhookApi.metricClientError({ period, statistic: "Sum", label: "4xx" }),
        props.webhookApi.metricServerError({ period, statistic: "Sum", label: "5xx" }),
      ]),
    );
  }
  if (props.webhookFunction) {
    const fn = props.webhookFunction;
    edgeWidgets.push(
      graph("Webhook function", [
        fn.metricInvocations({ period, statistic: "Sum", label: "invocations" }),
        fn.metricErrors({ period, statistic: "Sum", label: "errors" }),
        fn.metricThrottles({ period, statistic: "Sum", label: "throttles" }),
      ]),
    );
  }
  if (props.schedulerDeadLetterQueue) {
    edgeWidgets.push(
      graph("Scheduler dead letters", [
        props.schedulerDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period,
          statistic: "Maximum",
          label: "messages",
        }),
      ]),
    );
  }
  if (props.claimReleaseDeadLetterQueue) {
    edgeWidgets.push(
      graph("Claim release dead letters", [
        props.claimReleaseDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period,
          statistic: "Maximum",
          label: "messages",
        }),
      ]),
    );
  }
  // Three widgets of width 8 per row.
  for (let i = 0; i < edgeWidgets.length; i += 3) dashboard.addWidgets(...edgeWidgets.slice(i, i + 3));
}
