// Child process of the cold-init benchmark (bench/cold-init.ts). Plain JavaScript so nothing but Node runs before
// the measurement: loads one bundle from its file (import() for ESM, require() for CommonJS, as the Lambda
// runtime does), calls its handler once, and writes to fd 3 how long after process start that took.
// Usage: node init-probe.mjs baseline | node init-probe.mjs <esm|cjs> <bundle file> <event JSON>
import { writeSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const [mode, file, eventJson] = process.argv.slice(2);

const context = {
  functionName: "bench-function",
  functionVersion: "$LATEST",
  invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:bench-function",
  memoryLimitInMB: "256",
  awsRequestId: "00000000-0000-4000-8000-000000000000",
  logGroupName: "/aws/lambda/bench-function",
  logStreamName: "2025/01/01/[$LATEST]bench",
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 30_000,
  done() {},
  fail() {},
  succeed() {},
};

function describeError(error) {
  return {
    name: error?.name ?? typeof error,
    code: error?.code ?? error?.cause?.code ?? error?.errors?.[0]?.code,
    message: String(error?.message ?? error).slice(0, 300),
  };
}

/** CPU time (user + system) the process has used so far, in ms: steadier than wall time on a busy machine. */
function cpuMs() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

let result;
if (mode === "baseline") {
  result = { doneMs: performance.now(), cpuMs: cpuMs() };
} else {
  const event = JSON.parse(eventJson);
  let loaded;
  try {
    loaded = mode === "esm" ? await import(pathToFileURL(file).href) : createRequire(import.meta.url)(file);
  } catch (error) {
    result = {
      doneMs: performance.now(),
      cpuMs: cpuMs(),
      outcome: { phase: "init", ...describeError(error) },
    };
  }
  if (!result) {
    const importedMs = performance.now();
    const importedCpuMs = cpuMs();
    try {
      const value = await loaded.handler(event, context);
      result = {
        importedMs,
        importedCpuMs,
        doneMs: performance.now(),
        cpuMs: cpuMs(),
        outcome: { phase: "returned", statusCode: value?.statusCode },
      };
    } catch (error) {
      result = {
        importedMs,
        importedCpuMs,
        doneMs: performance.now(),
        cpuMs: cpuMs(),
        outcome: { phase: "invoke", ...describeError(error) },
      };
    }
  }
}
writeSync(3, JSON.stringify(result));
// Sockets and timers the handler left behind must not delay the next run.
process.exit(0);
