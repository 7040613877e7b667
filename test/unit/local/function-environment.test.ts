import { describe, expect, it } from "vitest";
import {
  ConflictingFunctionEnvironment,
  mergeFunctionEnvironments,
} from "../../../local/function-environment.js";
import type { ExtractedFunction } from "../../../local/state-machine-extractor.js";

function fn(logicalId: string, environment: Record<string, string>): ExtractedFunction {
  return {
    logicalId,
    stackName: "S",
    functionName: logicalId,
    functionArn: `arn:aws:lambda:us-east-1:000000000000:function:${logicalId}`,
    entry: "functions/x.ts",
    handlerExport: "handler",
    timeoutSeconds: 3,
    memorySize: 128,
    environment,
  };
}

describe("mergeFunctionEnvironments", () => {
  it("merges the functions' variables when they agree", () => {
    expect(
      mergeFunctionEnvironments([fn("A", { TABLE: "t", ONLY_A: "a" }), fn("B", { TABLE: "t", ONLY_B: "b" })]),
    ).toEqual({ TABLE: "t", ONLY_A: "a", ONLY_B: "b" });
  });

  it("throws, naming the variable and both functions, when two functions disagree", () => {
    expect(() =>
      mergeFunctionEnvironments([fn("A", { LEVEL: "INFO" }), fn("B", { LEVEL: "DEBUG" })]),
    ).toThrow(
      new ConflictingFunctionEnvironment(
        'Environment variable LEVEL is "INFO" in A but "DEBUG" in B; local functions share one process, so pass environment: { LEVEL: "…" } to choose one',
      ),
    );
  });

  it("lets an override settle a disagreement, and an undefined override drop a variable", () => {
    expect(
      mergeFunctionEnvironments([fn("A", { LEVEL: "INFO", NOISE: "1" }), fn("B", { LEVEL: "DEBUG" })], {
        LEVEL: "WARN",
        NOISE: undefined,
      }),
    ).toEqual({ LEVEL: "WARN" });
  });
});
