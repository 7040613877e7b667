import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  InvalidName,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalAwsEndpoint, startLocalAwsEndpoint } from "../../../local/aws-json-endpoint.js";
import { secretArn, secretPartialArn } from "../../../local/fake-aws.js";
import { LocalSecretStore } from "../../../local/local-secret-store.js";
import { synthesizeTemplates } from "../../../local/synthesize.js";
import { LocalWorkflowEngine } from "../../../local/workflow-engine.js";
import { buildEngineFixtureApp, FLOW_STATE_MACHINE_NAME } from "../../fixtures/engine-fixture-app.js";

const SECRET_NAME = "engine-fixture/portal-credentials";
const CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };
const FLOW_ARN = `arn:aws:states:us-east-1:000000000000:stateMachine:${FLOW_STATE_MACHINE_NAME}`;
const HAPPY_INPUT = JSON.stringify({ name: "Ada", failTimes: 0, reject: false, practiceId: "p-1" });

let engine: LocalWorkflowEngine;
let secrets: LocalSecretStore;
let endpoint: LocalAwsEndpoint;
let sfn: SFNClient;
let secretsManager: SecretsManagerClient;

beforeAll(async () => {
  const templates = synthesizeTemplates(buildEngineFixtureApp);
  engine = new LocalWorkflowEngine({ templates });
  secrets = LocalSecretStore.fromTemplates(templates);
  endpoint = await startLocalAwsEndpoint({ engine, secrets });
  sfn = new SFNClient({ endpoint: endpoint.url, region: "us-east-1", credentials: CREDENTIALS });
  secretsManager = new SecretsManagerClient({
    endpoint: endpoint.url,
    region: "us-east-1",
    credentials: CREDENTIALS,
  });
});

afterAll(async () => {
  sfn.destroy();
  secretsManager.destroy();
  await endpoint.close();
  await engine.close();
});

describe("startLocalAwsEndpoint", () => {
  describe("Step Functions through @aws-sdk/client-sfn", () => {
    it("lists and describes the state machines", async () => {
      const { stateMachines } = await sfn.send(new ListStateMachinesCommand({}));
      expect(
        stateMachines!.map(({ name, stateMachineArn, type }) => ({ name, stateMachineArn, type })),
      ).toEqual(
        engine.stateMachines().map(({ name, stateMachineArn, type }) => ({ name, stateMachineArn, type })),
      );
      expect(stateMachines![0]!.creationDate).toBeInstanceOf(Date);
      const described = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: FLOW_ARN }));
      expect(described).toMatchObject({ name: FLOW_STATE_MACHINE_NAME, status: "ACTIVE", type: "STANDARD" });
      expect(JSON.parse(described.definition!).StartAt).toBe("Greet");
    });

    it("starts an execution and describes, lists and shows its history once it ends", async () => {
      const started = await sfn.send(
        new StartExecutionCommand({ stateMachineArn: FLOW_ARN, name: "sdk-1", input: HAPPY_INPUT }),
      );
      expect(started.executionArn).toBe(
        `arn:aws:states:us-east-1:000000000000:execution:${FLOW_STATE_MACHINE_NAME}:sdk-1`,
      );
      expect(started.startDate).toEqual(engine.describeExecution(started.executionArn!).startDate);
      await engine.waitForExecution(started.executionArn!);

      const described = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
      expect(described).toMatchObject({
        name: "sdk-1",
        status: "SUCCEEDED",
        input: HAPPY_INPUT,
        output: JSON.stringify({ labeled: true, practiceId: "p-1" }),
      });
      expect(described.stopDate).toEqual(engine.describeExecution(started.executionArn!).stopDate);

      const listed = await sfn.send(
        new ListExecutionsCommand({ stateMachineArn: FLOW_ARN, statusFilter: "SUCCEEDED" }),
      );
      expect(listed.executions!.map((e) => [e.name, e.status])).toEqual([["sdk-1", "SUCCEEDED"]]);

      const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn: started.executionArn }));
      expect(history.events!.map((e) => e.type)).toEqual(
        engine.getExecutionHistory(started.executionArn!).events!.map((e) => e.type),
      );
      expect(history.events![0]!.timestamp).toBeInstanceOf(Date);
    });

    it("throws the SDK's typed ExecutionAlreadyExists for a reused name", async () => {
      const arn = `arn:aws:states:us-east-1:000000000000:execution:${FLOW_STATE_MACHINE_NAME}:sdk-1`;
      const error = await sfn
        .send(new StartExecutionCommand({ stateMachineArn: FLOW_ARN, name: "sdk-1", input: "{}" }))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ExecutionAlreadyExists);
      expect((error as ExecutionAlreadyExists).message).toBe(`Execution Already Exists: '${arn}'`);
      expect((error as ExecutionAlreadyExists).$metadata.httpStatusCode).toBe(400);
    });

    it("throws InvalidName and ExecutionDoesNotExist as the SDK's typed exceptions", async () => {
      await expect(
        sfn.send(new StartExecutionCommand({ stateMachineArn: FLOW_ARN, name: "bad name", input: "{}" })),
      ).rejects.toBeInstanceOf(InvalidName);
      await expect(
        sfn.send(
          new DescribeExecutionCommand({
            executionArn: `arn:aws:states:us-east-1:000000000000:execution:${FLOW_STATE_MACHINE_NAME}:nope`,
          }),
        ),
      ).rejects.toBeInstanceOf(ExecutionDoesNotExist);
    });

    it("stops a running execution", async () => {
      const deadline = engine.stateMachineArn("Deadline86871E19");
      const { executionArn } = await sfn.send(
        new StartExecutionCommand({ stateMachineArn: deadline, name: "sdk-stop" }),
      );
      const stopped = await sfn.send(new StopExecutionCommand({ executionArn, error: "Ops", cause: "test" }));
      expect(stopped.stopDate).toBeInstanceOf(Date);
      const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      expect(described).toMatchObject({ status: "ABORTED", error: "Ops", cause: "test" });
    });
  });

  describe("Secrets Manager through @aws-sdk/client-secrets-manager", () => {
    it("knows the template's secrets by name and by the ARN the template's Ref gives, before any value is put", async () => {
      const byName = await secretsManager.send(new DescribeSecretCommand({ SecretId: SECRET_NAME }));
      expect(byName).toMatchObject({
        Name: SECRET_NAME,
        ARN: secretArn(SECRET_NAME),
        VersionIdsToStages: {},
      });
      const error = await secretsManager
        .send(new GetSecretValueCommand({ SecretId: SECRET_NAME }))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ResourceNotFoundException);
      expect((error as ResourceNotFoundException).message).toBe(
        "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
      );
    });

    it("puts a value and reads it back by name, full ARN and partial ARN", async () => {
      const value = JSON.stringify({
        developerKey: "dev-key-123456",
        developerPortalKey: "portal-key-123456",
      });
      const put = await secretsManager.send(
        new PutSecretValueCommand({ SecretId: SECRET_NAME, SecretString: value }),
      );
      expect(put).toMatchObject({
        ARN: secretArn(SECRET_NAME),
        Name: SECRET_NAME,
        VersionStages: ["AWSCURRENT"],
      });
      for (const id of [SECRET_NAME, secretArn(SECRET_NAME), secretPartialArn(SECRET_NAME)]) {
        const got = await secretsManager.send(new GetSecretValueCommand({ SecretId: id }));
        expect(got).toMatchObject({ Name: SECRET_NAME, SecretString: value, VersionId: put.VersionId });
      }
    });

    it("throws ResourceNotFoundException for an unknown secret", async () => {
      await expect(
        secretsManager.send(new GetSecretValueCommand({ SecretId: "nope" })),
      ).rejects.toBeInstanceOf(ResourceNotFoundException);
    });
  });

  describe("clients configured only by environment", () => {
    it("reaches the endpoint through AWS_ENDPOINT_URL_SFN and AWS_ENDPOINT_URL_SECRETS_MANAGER", async () => {
      const saved = { ...process.env };
      Object.assign(process.env, {
        AWS_ENDPOINT_URL_SFN: endpoint.url,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint.url,
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: "local",
        AWS_SECRET_ACCESS_KEY: "local",
      });
      try {
        const envSfn = new SFNClient({});
        const envSecrets = new SecretsManagerClient({});
        const { stateMachines } = await envSfn.send(new ListStateMachinesCommand({}));
        expect(stateMachines!.map((m) => m.name)).toContain(FLOW_STATE_MACHINE_NAME);
        const described = await envSecrets.send(new DescribeSecretCommand({ SecretId: SECRET_NAME }));
        expect(described.Name).toBe(SECRET_NAME);
        envSfn.destroy();
        envSecrets.destroy();
      } finally {
        process.env = saved;
      }
    });
  });

  it("answers an operation it does not implement with a clear error", async () => {
    const response = await fetch(endpoint.url, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "AWSStepFunctions.CreateStateMachine",
      },
      body: "{}",
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { __type: string; message: string };
    expect(body.__type).toBe("UnknownOperationException");
    expect(body.message).toMatch(
      /^The local AWS endpoint does not implement "AWSStepFunctions.CreateStateMachine"; it implements: AWSStepFunctions.StartExecution, /,
    );
  });
});
