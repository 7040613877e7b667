import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { LocalConfigError, readLocalStackConfig } from "../../local/local-config.js";

const CREDENTIALS = {
  OPEN_DENTAL_DEVELOPER_KEY: "devkey0001",
  OPEN_DENTAL_DEVELOPER_PORTAL_KEY: "portalkey0001",
};
const aFile = () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "local-config-")), "not-a-directory");
  writeFileSync(file, "");
  return file;
};

describe("readLocalStackConfig", () => {
  it("defaults to the built-in simulator, port 3000, in-memory data and 1 portal request per second", () => {
    expect(readLocalStackConfig({})).toEqual({
      openDentalBaseUrl: undefined,
      developerKey: undefined,
      developerPortalKey: undefined,
      webhookSecret: undefined,
      port: 3000,
      dataDir: undefined,
      portalMaxRps: 1,
      stateDir: undefined,
    });
  });

  it("reads every variable, treating blank ones as unset", () => {
    expect(
      readLocalStackConfig({
        OPEN_DENTAL_BASE_URL: "https://api.opendental.com/api/v1/",
        ...CREDENTIALS,
        WEBHOOK_SECRET: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        LOCAL_PORT: "3100",
        LOCAL_DATA_DIR: "/tmp/practice-onboarding-data",
        PORTAL_MAX_RPS: "0.2",
        PRACTICE_ONBOARDING_STATE_DIR: "  ",
      }),
    ).toEqual({
      openDentalBaseUrl: "https://api.opendental.com/api/v1",
      developerKey: "devkey0001",
      developerPortalKey: "portalkey0001",
      webhookSecret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
      port: 3100,
      dataDir: "/tmp/practice-onboarding-data",
      portalMaxRps: 0.2,
      stateDir: undefined,
    });
  });

  it.each([
    [
      { OPEN_DENTAL_BASE_URL: "api.opendental.com/api/v1", ...CREDENTIALS },
      'OPEN_DENTAL_BASE_URL must be an http(s) URL without query or fragment, such as https://api.opendental.com/api/v1, got "api.opendental.com/api/v1"',
    ],
    [
      { OPEN_DENTAL_BASE_URL: "ftp://portal.example/api/v1", ...CREDENTIALS },
      'OPEN_DENTAL_BASE_URL must be an http(s) URL without query or fragment, such as https://api.opendental.com/api/v1, got "ftp://portal.example/api/v1"',
    ],
    [
      { OPEN_DENTAL_BASE_URL: "https://portal.example/api/v1?x=1", ...CREDENTIALS },
      'OPEN_DENTAL_BASE_URL must be an http(s) URL without query or fragment, such as https://api.opendental.com/api/v1, got "https://portal.example/api/v1?x=1"',
    ],
    [
      { OPEN_DENTAL_BASE_URL: "https://portal.example/api/v1" },
      "OPEN_DENTAL_DEVELOPER_KEY and OPEN_DENTAL_DEVELOPER_PORTAL_KEY must be set when OPEN_DENTAL_BASE_URL points at another portal",
    ],
    [
      { OPEN_DENTAL_DEVELOPER_KEY: "devkey0001" },
      "OPEN_DENTAL_DEVELOPER_PORTAL_KEY must be set together with OPEN_DENTAL_DEVELOPER_KEY",
    ],
    [
      { OPEN_DENTAL_DEVELOPER_PORTAL_KEY: "portalkey0001" },
      "OPEN_DENTAL_DEVELOPER_KEY must be set together with OPEN_DENTAL_DEVELOPER_PORTAL_KEY",
    ],
    [
      { ...CREDENTIALS, OPEN_DENTAL_DEVELOPER_KEY: "dev/key" },
      'OPEN_DENTAL_DEVELOPER_KEY must not contain spaces or "/" (it goes into "ODFHIR {DeveloperKey}/{DeveloperPortalKey}")',
    ],
    [
      { ...CREDENTIALS, OPEN_DENTAL_DEVELOPER_PORTAL_KEY: "portal key" },
      'OPEN_DENTAL_DEVELOPER_PORTAL_KEY must not contain spaces or "/" (it goes into "ODFHIR {DeveloperKey}/{DeveloperPortalKey}")',
    ],
    [
      { WEBHOOK_SECRET: "my-shared-secret" },
      'WEBHOOK_SECRET must be a Standard Webhooks secret: "whsec_" followed by base64',
    ],
    [{ LOCAL_PORT: "http" }, 'LOCAL_PORT must be a port number from 1 to 65535, got "http"'],
    [{ LOCAL_PORT: "0" }, 'LOCAL_PORT must be a port number from 1 to 65535, got "0"'],
    [{ LOCAL_PORT: "70000" }, 'LOCAL_PORT must be a port number from 1 to 65535, got "70000"'],
    [{ LOCAL_PORT: "30.5" }, 'LOCAL_PORT must be a port number from 1 to 65535, got "30.5"'],
    [
      { PORTAL_MAX_RPS: "fast" },
      'PORTAL_MAX_RPS must be a number of requests per second above 0 and at most 1000, got "fast"',
    ],
    [
      { PORTAL_MAX_RPS: "0" },
      'PORTAL_MAX_RPS must be a number of requests per second above 0 and at most 1000, got "0"',
    ],
    [
      { PORTAL_MAX_RPS: "-1" },
      'PORTAL_MAX_RPS must be a number of requests per second above 0 and at most 1000, got "-1"',
    ],
  ])("rejects %j naming the variable", (env, message) => {
    expect(() => readLocalStackConfig(env)).toThrow(new LocalConfigError(message));
  });

  it("rejects a LOCAL_DATA_DIR that is a file, naming the variable", () => {
    const file = aFile();
    expect(() => readLocalStackConfig({ LOCAL_DATA_DIR: file })).toThrow(
      new LocalConfigError(
        `LOCAL_DATA_DIR must be a directory (it is created if missing), but "${file}" is a file`,
      ),
    );
  });

  it("rejects a PRACTICE_ONBOARDING_STATE_DIR that is a file, naming the variable", () => {
    const file = aFile();
    expect(() => readLocalStackConfig({ PRACTICE_ONBOARDING_STATE_DIR: file })).toThrow(
      new LocalConfigError(
        `PRACTICE_ONBOARDING_STATE_DIR must be a directory (it is created if missing), but "${file}" is a file`,
      ),
    );
  });

  it("never echoes a rejected WEBHOOK_SECRET or portal credential", () => {
    const secret = "whsec_not*base64";
    expect(() => readLocalStackConfig({ WEBHOOK_SECRET: secret })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining(secret) }),
    );
    expect(() =>
      readLocalStackConfig({ ...CREDENTIALS, OPEN_DENTAL_DEVELOPER_KEY: "secret dev key" }),
    ).toThrow(expect.objectContaining({ message: expect.not.stringContaining("secret dev key") }));
  });
});
