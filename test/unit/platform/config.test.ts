import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../functions/platform/config.js";
import { ConfigurationError } from "../../../functions/platform/errors.js";

const required = {
  TABLE_NAME: "practices",
  PORTAL_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:1:secret:p",
};

describe("parseConfig", () => {
  it("applies the documented defaults when only the required variables are set", () => {
    expect(parseConfig(required)).toEqual({
      tableName: "practices",
      portalSecretArn: "arn:aws:secretsmanager:us-east-1:1:secret:p",
      openDentalBaseUrl: "https://api.opendental.com/api/v1",
      portalMaxRps: 1,
      portalTimeoutMs: 15_000,
      portalMaxWaitMs: 10_000,
    });
  });

  it("reads every variable when set", () => {
    expect(
      parseConfig({
        ...required,
        OPEN_DENTAL_BASE_URL: "http://127.0.0.1:4010/api/v1",
        PORTAL_MAX_RPS: "0.5",
        PORTAL_TIMEOUT_MS: "2000",
        PORTAL_MAX_WAIT_MS: "40000",
      }),
    ).toMatchObject({
      openDentalBaseUrl: "http://127.0.0.1:4010/api/v1",
      portalMaxRps: 0.5,
      portalTimeoutMs: 2000,
      portalMaxWaitMs: 40_000,
    });
  });

  it("names a missing required variable", () => {
    expect(() => parseConfig({ TABLE_NAME: "practices" })).toThrow(
      new ConfigurationError("environment variable PORTAL_SECRET_ARN is not set"),
    );
  });

  it("treats an empty variable as not set", () => {
    expect(() => parseConfig({ ...required, TABLE_NAME: "" })).toThrow(
      new ConfigurationError("environment variable TABLE_NAME is not set"),
    );
  });

  it("rejects a base URL that is not http(s)", () => {
    expect(() => parseConfig({ ...required, OPEN_DENTAL_BASE_URL: "ftp://portal.example" })).toThrow(
      new ConfigurationError("environment variable OPEN_DENTAL_BASE_URL must be an http(s) URL"),
    );
  });

  it("rejects a rate that is not a positive number", () => {
    expect(() => parseConfig({ ...required, PORTAL_MAX_RPS: "0" })).toThrow(
      new ConfigurationError('environment variable PORTAL_MAX_RPS must be a positive number, got "0"'),
    );
  });
});
