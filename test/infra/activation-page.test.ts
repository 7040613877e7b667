// The activation page in the synthesized stack: its three routes lead to its own function, the function may only
// get/put/update items under the page's partition keys (fails if widened), the access log names route keys (the
// path holds the token), and the stack outputs the links' base URL.
import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { STACK_OUTPUTS } from "../../contracts/stack-outputs.js";
import { buildApp } from "../../lib/build-app.js";

type Resources = Record<
  string,
  { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }
>;

let resources: Resources;
let template: Template;
let pageFunctionId: string;

beforeAll(() => {
  template = Template.fromStack(buildApp(new App({ context: { "aws:cdk:bundling-stacks": [] } })));
  resources = template.toJSON().Resources as Resources;
  pageFunctionId = Object.entries(resources).find(
    ([, r]) =>
      r.Type === "AWS::Lambda::Function" &&
      r.Metadata?.["practice-onboarding:entry"] === "functions/activation/activation-page.ts",
  )![0];
});

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

describe("activation page in the stack", () => {
  it("routes GET and POST /activate/{token} and GET /activate/assets/{asset} to the page's function", () => {
    const integrations = new Map(
      ofType("AWS::ApiGatewayV2::Integration").map(([id, r]) => [id, JSON.stringify(r.Properties)]),
    );
    const routes = ofType("AWS::ApiGatewayV2::Route")
      .map(([, r]) => r.Properties!)
      .filter((p) => String(p.RouteKey).includes("/activate/"));
    expect(routes.map((p) => p.RouteKey).sort()).toEqual([
      "GET /activate/assets/{asset}",
      "GET /activate/{token}",
      "POST /activate/{token}",
    ]);
    for (const route of routes) {
      const integrationId = /"integrations\/",\{"Ref":"([^"]+)"\}/.exec(JSON.stringify(route.Target))?.[1];
      expect(integrations.get(integrationId!)).toContain(pageFunctionId);
    }
  });

  it("lets the function get, put and update items under the page's partition keys only, and nothing else on data", () => {
    const roleId = JSON.stringify(resources[pageFunctionId]!.Properties!.Role).match(
      /"Fn::GetAtt":\["([^"]+)"/,
    )![1];
    const policies = ofType("AWS::IAM::Policy").filter(([, r]) =>
      JSON.stringify(r.Properties!.Roles).includes(roleId!),
    );
    const statements = policies.flatMap(
      ([, r]) => (r.Properties!.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement,
    );
    const dynamo = statements.filter((s) => JSON.stringify(s.Action).includes("dynamodb:"));
    expect(dynamo).toHaveLength(1);
    expect(dynamo[0]!.Action).toEqual(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]);
    expect(dynamo[0]!.Condition).toEqual({
      "ForAllValues:StringLike": {
        "dynamodb:LeadingKeys": ["ACTIVATION#*", "PRACTICE#*", "RATE#activation#*"],
      },
    });
    expect(JSON.stringify(dynamo[0]!.Resource)).not.toContain("index");
    const actions = statements.flatMap((s) => [s.Action].flat() as string[]);
    expect(actions.filter((a) => /^(states|events|secretsmanager|sqs):/.test(a))).toEqual([]);
  });

  it("logs API access by route key, never by path", () => {
    const stages = ofType("AWS::ApiGatewayV2::Stage").map(([, r]) => r.Properties!);
    for (const stage of stages) {
      const format = String((stage.AccessLogSettings as { Format: string }).Format);
      expect(format).toContain("$context.routeKey");
      expect(format).not.toMatch(/\$context\.(path|resourcePath)|rawPath/);
    }
  });

  it("outputs the base URL links start with: the API's stage URL", () => {
    const output = template.toJSON().Outputs[STACK_OUTPUTS.activationBaseUrl];
    expect(JSON.stringify(output.Value)).toContain("execute-api");
  });
});
