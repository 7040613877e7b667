// A tiny Secrets Manager endpoint (AWS JSON protocol, GetSecretValue only) so credential code runs the real SDK.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeSecretsManager {
  readonly endpoint: string;
  /** SecretId of every GetSecretValue received, in order. */
  readonly requests: string[];
  setSecret(secretId: string, secretString: string): void;
  close(): Promise<void>;
}

export async function startFakeSecretsManager(): Promise<FakeSecretsManager> {
  const secrets = new Map<string, string>();
  const requests: string[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on("end", () => {
      const { SecretId } = JSON.parse(body || "{}") as { SecretId: string };
      requests.push(SecretId);
      const value = secrets.get(SecretId);
      res.setHeader("content-type", "application/x-amz-json-1.1");
      if (value === undefined) {
        res.statusCode = 400;
        res.end(
          JSON.stringify({ __type: "ResourceNotFoundException", message: "Secrets Manager can't find it" }),
        );
        return;
      }
      res.end(JSON.stringify({ ARN: SecretId, Name: SecretId, SecretString: value, VersionId: "v1" }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    setSecret: (id, value) => secrets.set(id, value),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
