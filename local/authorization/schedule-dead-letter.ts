// What EventBridge Scheduler does with a start its role may not make: no retry (an access denial is not
// transient), the event goes to the schedule's dead-letter queue — sent as the same role, so that needs the
// queue and its key too. https://docs.aws.amazon.com/scheduler/latest/UserGuide/configuring-schedule-dlq.html
import type { SynthesizedStack } from "../cloudformation-template.js";
import { TemplateResolver } from "../template-resolver.js";
import type { LocalEnforcement } from "./local-enforcement.js";

/** The dead-letter queue ARN of the stack's (first) schedule, as the template resolves it. */
export function scheduleDeadLetterQueue(
  templates: readonly SynthesizedStack[],
  resourceNames: Readonly<Record<string, string>>,
): string | undefined {
  for (const stack of templates) {
    const resolver = new TemplateResolver(stack.template, { stackName: stack.stackName, resourceNames });
    for (const [logicalId, resource] of Object.entries(stack.template.Resources ?? {})) {
      if (resource.Type !== "AWS::Scheduler::Schedule") continue;
      const arn = (resource.Properties?.Target as { DeadLetterConfig?: { Arn?: unknown } })?.DeadLetterConfig
        ?.Arn;
      if (arn !== undefined) return resolver.resolveString(arn, `${logicalId}.Target.DeadLetterConfig.Arn`);
    }
  }
  return undefined;
}

/** The log line for a refused scheduled start: where its dead letter went (or that it was dropped, and why). */
export function scheduleDeadLetter(
  enforcement: LocalEnforcement | undefined,
  templates: readonly SynthesizedStack[],
  resourceNames: Readonly<Record<string, string>>,
  reason: string,
): string {
  const queue = scheduleDeadLetterQueue(templates, resourceNames);
  if (!queue)
    return `Scheduled reconciliation refused and dropped (the schedule has no dead-letter queue): ${reason}`;
  const refused = enforcement?.checkScheduleDeadLetter(queue);
  return refused
    ? `Scheduled reconciliation refused (${reason}); its dead letter was refused too and is lost: ${refused.message}`
    : `Scheduled reconciliation refused: dead letter sent to ${queue}: ${reason}`;
}
