// `npm run simulator -- [options]`: the Open Dental portal simulator on its own, for the local stack and demos.
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import {
  type ErrorBodyStyle,
  type PortalSimulatorOptions,
  startPortalSimulator,
} from "../local/portal-simulator.js";
import type { PortalSimulatorFaults } from "../local/portal-simulator-faults.js";
import { SEED_GET_RESPONSE } from "../test/fixtures/seed-examples.js";

function wholeNumber(min: number, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new InvalidArgumentError(`Expected a whole number from ${min} to ${max}.`);
    }
    return Number(value);
  };
}

function fraction(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0 || n > 1) {
    throw new InvalidArgumentError("Expected a fraction from 0 to 1, e.g. 0.1.");
  }
  return n;
}

const program = new Command()
  .name("npm run simulator --")
  .description(
    "A stateful Open Dental Developer Portal /apikeys simulator with rate limiting and fault injection.",
  )
  .option("--port <port>", "port to listen on (0 = any free port)", wholeNumber(0, 65535), 4010)
  .option("--host <host>", "address to listen on", "127.0.0.1")
  .option("--base-path <path>", "path the API lives under", "/api/v1")
  .option("--developer-key <key>", "DeveloperKey clients must send")
  .option("--developer-portal-key <key>", "DeveloperPortalKey clients must send")
  .option(
    "--rps <n>",
    "at most this many requests in any 1-second window (429 over it)",
    wholeNumber(1, 100_000),
  )
  .option("--seed-keys <n>", "start with this many generated Enabled keys", wholeNumber(0, 100_000), 0)
  .option("--seed-example", "start with the seed document's four example keys")
  .option(
    "--random-seed <n>",
    "PRNG seed for generated keys and random faults",
    wholeNumber(0, 2 ** 32 - 1),
    1,
  )
  .option("--latency <ms>", "latency added to every answer", wholeNumber(0, 600_000))
  .option("--latency-jitter <ms>", "up to this much more latency, random", wholeNumber(0, 600_000))
  .option("--error-rate <fraction>", "fraction of requests answered 500/503", fraction)
  .option("--html-error-rate <fraction>", "fraction answered with an HTML page (200 or 502)", fraction)
  .option("--timeout-rate <fraction>", "fraction never answered", fraction)
  .option("--throttle-rate <fraction>", "fraction answered 429", fraction)
  .option("--commit-then-drop-rate <fraction>", "fraction applied, then dropped without an answer", fraction)
  .option("--outage", "answer every request 503")
  .addOption(
    new Option("--error-body <style>", "how error explanations are written")
      .choices(["json-string", "text", "json-object"])
      .default("json-string"),
  )
  .showHelpAfterError(false)
  .exitOverride();

interface CliOptions {
  port: number;
  host: string;
  basePath: string;
  developerKey?: string;
  developerPortalKey?: string;
  rps?: number;
  seedKeys: number;
  seedExample?: boolean;
  randomSeed: number;
  latency?: number;
  latencyJitter?: number;
  errorRate?: number;
  htmlErrorRate?: number;
  timeoutRate?: number;
  throttleRate?: number;
  commitThenDropRate?: number;
  outage?: boolean;
  errorBody: ErrorBodyStyle;
}

function simulatorOptions(cli: CliOptions): PortalSimulatorOptions {
  const faults: Partial<PortalSimulatorFaults> = {
    ...(cli.latency === undefined ? {} : { latencyMs: cli.latency }),
    ...(cli.latencyJitter === undefined ? {} : { latencyJitterMs: cli.latencyJitter }),
    ...(cli.errorRate === undefined ? {} : { errorRate: cli.errorRate }),
    ...(cli.htmlErrorRate === undefined ? {} : { htmlErrorRate: cli.htmlErrorRate }),
    ...(cli.timeoutRate === undefined ? {} : { timeoutRate: cli.timeoutRate }),
    ...(cli.throttleRate === undefined ? {} : { throttleRate: cli.throttleRate }),
    ...(cli.commitThenDropRate === undefined ? {} : { commitThenDropRate: cli.commitThenDropRate }),
    ...(cli.outage ? { outage: true } : {}),
  };
  return {
    port: cli.port,
    host: cli.host,
    basePath: cli.basePath,
    ...(cli.developerKey || cli.developerPortalKey
      ? {
          credentials: {
            developerKey: cli.developerKey ?? "simdev-developer-key-0001",
            developerPortalKey: cli.developerPortalKey ?? "simdev-portal-key-0001",
          },
        }
      : {}),
    seedKeys: [
      ...(cli.seedExample ? SEED_GET_RESPONSE : []),
      ...Array.from({ length: cli.seedKeys }, () => ({})),
    ],
    ...(cli.rps === undefined ? {} : { maxRequestsPerSecond: cli.rps }),
    faults,
    random: cli.randomSeed,
    errorBodyStyle: cli.errorBody,
  };
}

async function main(): Promise<void> {
  try {
    program.parse();
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed the one-line error (or the help).
      process.exit(error.exitCode === 0 ? 0 : 2);
    }
    throw error;
  }
  const cli = program.opts<CliOptions>();
  let options: PortalSimulatorOptions;
  try {
    options = simulatorOptions(cli);
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  }
  let simulator: Awaited<ReturnType<typeof startPortalSimulator>>;
  try {
    simulator = await startPortalSimulator(options);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const usage = !/EADDRINUSE|EACCES|EADDRNOTAVAIL/.test(message);
    console.error(`error: ${message}`);
    process.exit(usage ? 2 : 1);
  }
  const state = simulator.state();
  const control = `${simulator.origin}/_simulator`;
  console.log(
    [
      `Open Dental portal simulator listening on ${simulator.origin}`,
      `  OPEN_DENTAL_BASE_URL=${simulator.url}`,
      `  OPEN_DENTAL_DEVELOPER_KEY=${simulator.credentials.developerKey}`,
      `  OPEN_DENTAL_DEVELOPER_PORTAL_KEY=${simulator.credentials.developerPortalKey}`,
      `  keys: ${state.keys.length}; rate limit: ${state.maxRequestsPerSecond ? `${state.maxRequestsPerSecond}/s` : "none"}; faults: ${JSON.stringify(state.faults)}`,
      "Control routes (local requests only, no auth):",
      `  GET  ${control}/state        keys with their history, calls, stats`,
      `  POST ${control}/faults       {"errorRate":0.1,"latencyMs":200,"outage":false,...}`,
      `  POST ${control}/queue        [{"kind":"commitThenDrop","method":"POST"},{"kind":"status","status":503}]`,
      `  POST ${control}/keys         {"generate":250} or {"keys":[{"KeyStatus":"DisabledByCustomer"}]}`,
      `  POST ${control}/rate-limit   {"maxRequestsPerSecond":1} or {"maxRequestsPerSecond":null}`,
      `  POST ${control}/reset`,
      "Ctrl-C to stop.",
    ].join("\n"),
  );
  const stop = (signal: string) => {
    console.log(`\n${signal}: stopping the simulator`);
    simulator.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
}

await main();
