// The `.local/endpoints.json` contract between a running local stack and its clients (ops --local, npm run
// webhook, the demo), and the stack output names shared with AWS. Dependency-light: no aws-cdk-lib.
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

/** What `ops --local`, `npm run webhook` and the demo read from `.local/endpoints.json`. */
export interface LocalEndpoints {
  readonly version: 1;
  /** The process running the stack (`node`, under `npm start`). */
  readonly pid: number;
  /** The DynamoDB Local JVM, a child of `pid`, stopped with it. */
  readonly dynamoDbPid: number | null;
  readonly startedAt: string;
  readonly region: string;
  /** Base URL of the local HTTP API (the webhook is `${httpApiUrl}/webhooks/crm`). */
  readonly httpApiUrl: string;
  /** Step Functions and Secrets Manager (AWS JSON protocol). */
  readonly awsEndpoint: string;
  readonly dynamoDbEndpoint: string;
  /** The portal the functions call (the simulator's URL unless OPEN_DENTAL_BASE_URL pointed elsewhere). */
  readonly portalBaseUrl: string;
  /** The built-in simulator's control origin (`/_simulator/…`), or null when another portal is used. */
  readonly simulatorOrigin: string | null;
  /** The stack's CloudFormation outputs, resolved to local names and ARNs (same keys as on AWS). */
  readonly outputs: Readonly<Record<string, string>>;
  /** Domain events are appended here, one JSON object a line. */
  readonly eventsFile: string;
}

export const DEFAULT_STATE_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", ".local");
export const ENDPOINTS_FILE = "endpoints.json";
/** Variable that moves the state directory (tests use it so they never meet a developer's running stack). */
export const STATE_DIR_VARIABLE = "PRACTICE_ONBOARDING_STATE_DIR";

/** The state directory: $PRACTICE_ONBOARDING_STATE_DIR, or `<project>/.local`. */
export function localStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env[STATE_DIR_VARIABLE]?.trim();
  return configured ? path.resolve(configured) : DEFAULT_STATE_DIR;
}

export { STACK_OUTPUTS } from "../contracts/stack-outputs.js";

/** Reads `.local/endpoints.json` of a running local stack, or explains why there is none. */
export function readLocalEndpoints(stateDir = localStateDir()): LocalEndpoints {
  const file = path.join(stateDir, ENDPOINTS_FILE);
  if (!existsSync(file))
    throw new Error(
      `No local stack is running (${path.relative(process.cwd(), file) || file} is missing): start one with \`npm start\``,
    );
  const endpoints = parseEndpointsFile(file);
  if (!isAlive(endpoints.pid))
    throw new Error(
      `The local stack that wrote ${file} (pid ${endpoints.pid}) is no longer running: start one with \`npm start\``,
    );
  return endpoints;
}

/**
 * The endpoints a stack wrote to `file`; a file that does not parse (a stack killed while writing it) is named,
 * and `npm start` replaces it.
 */
export function parseEndpointsFile(file: string): LocalEndpoints {
  const text = readFileSync(file, "utf8");
  try {
    return JSON.parse(text) as LocalEndpoints;
  } catch {
    throw new Error(
      `${file} is not a local stack's endpoints.json (it does not parse as JSON): start one with \`npm start\`, which replaces it`,
    );
  }
}

/** The endpoints a stack left in `file`, or undefined when there are none or they do not parse. */
export function leftEndpoints(file: string): LocalEndpoints | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return parseEndpointsFile(file);
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
