// Test-only CloudFormation endpoint (query protocol) answering DescribeStacks with given outputs, so the ops
// CLI's deployed-stack path can be driven by the real SDK (AWS_ENDPOINT_URL_CLOUDFORMATION) against local services.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeCloudFormation {
  readonly url: string;
  /** Stack names asked for, in order. */
  readonly requested: string[];
  close(): Promise<void>;
}

const escapeXml = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

export async function startFakeCloudFormation(
  stacks: Readonly<Record<string, Readonly<Record<string, string>>>>,
): Promise<FakeCloudFormation> {
  const requested: string[] = [];
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on("end", () => {
      const params = new URLSearchParams(body);
      const name = params.get("StackName") ?? "";
      requested.push(name);
      const outputs = stacks[name];
      response.setHeader("Content-Type", "text/xml");
      if (params.get("Action") !== "DescribeStacks" || !outputs) {
        response.statusCode = 400;
        response.end(
          `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id ${escapeXml(name)} does not exist</Message></Error><RequestId>fake</RequestId></ErrorResponse>`,
        );
        return;
      }
      const members = Object.entries(outputs)
        .map(
          ([key, value]) =>
            `<member><OutputKey>${escapeXml(key)}</OutputKey><OutputValue>${escapeXml(value)}</OutputValue></member>`,
        )
        .join("");
      response.end(
        `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member><StackName>${escapeXml(name)}</StackName><StackId>arn:aws:cloudformation:us-east-1:000000000000:stack/${escapeXml(name)}/fake</StackId><CreationTime>2025-01-01T00:00:00Z</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus><Outputs>${members}</Outputs></member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></DescribeStacksResponse>`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requested,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
