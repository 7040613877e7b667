// A stack holding what the local KMS reads from a synthesized template: a key with an alias (as the custody
// key will be declared), a second key, and a disabled one; their ARNs exported as outputs, as functions get them.
import { type App, CfnOutput, RemovalPolicy, Stack } from "aws-cdk-lib";
import * as kms from "aws-cdk-lib/aws-kms";

export const KMS_FIXTURE_STACK = "KmsFixture";
export const CUSTODY_ALIAS = "alias/kms-fixture/customer-keys";

export function buildKmsFixtureApp(app: App): Stack {
  const stack = new Stack(app, KMS_FIXTURE_STACK);
  const custody = new kms.Key(stack, "CustodyKey", {
    alias: CUSTODY_ALIAS.replace(/^alias\//, ""),
    description: "CustomerKeys at rest",
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const other = new kms.Key(stack, "OtherKey", { removalPolicy: RemovalPolicy.DESTROY });
  const disabled = new kms.Key(stack, "DisabledKey", {
    enabled: false,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  new CfnOutput(stack, "CustodyKeyArn", { value: custody.keyArn });
  new CfnOutput(stack, "OtherKeyArn", { value: other.keyArn });
  new CfnOutput(stack, "DisabledKeyArn", { value: disabled.keyArn });
  return stack;
}
