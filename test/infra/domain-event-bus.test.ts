import { App, type CfnElement, Duration, Stack, Validations } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { AwsSolutionsChecks, HIPAASecurityChecks } from "cdk-nag";
import type { IConstruct } from "constructs";
import { describe, expect, it } from "vitest";
import { DomainEventBus, type DomainEventBusProps } from "../../lib/domain-event-bus.js";

function build(props: DomainEventBusProps = {}) {
  const app = new App();
  const stack = new Stack(app, "BusTest", { env: { account: "123456789012", region: "us-east-1" } });
  const events = new DomainEventBus(stack, "Events", props);
  const publisher = new lambda.Function(stack, "Publisher", {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: "index.handler",
    code: lambda.Code.fromInline("export const handler = async () => {};"),
  });
  const logicalId = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
  return { app, stack, events, publisher, logicalId };
}

describe("DomainEventBus", () => {
  it("creates one custom bus and no archive by default", () => {
    const { stack } = build({ eventBusName: "practice-onboarding-events" });
    const template = Template.fromStack(stack);

    template.resourceCountIs("AWS::Events::EventBus", 1);
    template.hasResourceProperties("AWS::Events::EventBus", { Name: "practice-onboarding-events" });
    template.resourceCountIs("AWS::Events::Archive", 0);
  });

  it("archives the practice-onboarding source for a year when asked", () => {
    const { stack, events, logicalId } = build({ archive: {} });

    Template.fromStack(stack).hasResourceProperties("AWS::Events::Archive", {
      SourceArn: { "Fn::GetAtt": [logicalId(events.bus), "Arn"] },
      EventPattern: { source: ["practice-onboarding"] },
      RetentionDays: 365,
    });
  });

  it("keeps archived events for the retention given", () => {
    const { stack } = build({ archive: { retention: Duration.days(30) } });

    Template.fromStack(stack).hasResourceProperties("AWS::Events::Archive", { RetentionDays: 30 });
  });

  it("grants a publisher PutEvents on this bus only and tells it the bus name", () => {
    const { stack, events, publisher, logicalId } = build();

    events.addPublisher(publisher);

    const template = Template.fromStack(stack);
    const [policy] = Object.values(template.findResources("AWS::IAM::Policy"));
    expect(policy!.Properties.PolicyDocument.Statement).toEqual([
      {
        Action: "events:PutEvents",
        Effect: "Allow",
        Resource: { "Fn::GetAtt": [logicalId(events.bus), "Arn"] },
      },
    ]);
    template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: { EVENT_BUS_NAME: { Ref: logicalId(events.bus) } } },
    });
  });

  it("has no AwsSolutions or HIPAA findings", () => {
    const app = new App();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new HIPAASecurityChecks(app));
    const stack = new Stack(app, "BusNag", { env: { account: "123456789012", region: "us-east-1" } });
    new DomainEventBus(stack, "Events", { archive: {} });

    expect(() => app.synth()).not.toThrow();
  });
});
