// Which installation is the practice's current key's (key-installation.ts): the one of the key it holds, known by
// fingerprint whatever the record's masked form; one recorded before fingerprints, by the key it shows.
import { describe, expect, it } from "vitest";
import type { KeyFingerprint } from "../../../functions/key-custody/key-fingerprint.js";
import { currentInstallation, type KeyInstallation } from "../../../functions/practice/key-installation.js";

const MINE = "a".repeat(64) as KeyFingerprint;
const OTHER = "b".repeat(64) as KeyFingerprint;
const SEEN = {
  installedAt: "2026-03-05T10:00:00.000Z",
  assignedInPortal: "2026-03-05 01:58:31",
  seenBy: "r",
};

describe("currentInstallation", () => {
  it("is the installation of the key the practice holds, whatever form its masked key takes", () => {
    const installation: KeyInstallation = { keyFingerprint: MINE, ...SEEN };
    for (const maskedKey of ["QJXZ…W2HD", "…W2HD #aaaaaa", undefined])
      expect(currentInstallation({ keyFingerprint: MINE, maskedKey, installation })).toBe(installation);
    expect(currentInstallation({ keyFingerprint: OTHER, maskedKey: "…W2HD #bbbbbb", installation })).toBe(
      undefined,
    );
    expect(currentInstallation({ keyFingerprint: MINE })).toBeUndefined();
  });

  it("knows an installation recorded before fingerprints by the key it shows, across the change of form", () => {
    const legacy: KeyInstallation = { maskedKey: "QJXZ…W2HD", ...SEEN };
    expect(currentInstallation({ keyFingerprint: MINE, maskedKey: "QJXZ…W2HD", installation: legacy })).toBe(
      legacy,
    );
    expect(
      currentInstallation({ keyFingerprint: MINE, maskedKey: "…W2HD #aaaaaa", installation: legacy }),
    ).toBe(legacy);
    // A returning practice's new key (another tail) is not installed because its old one was.
    expect(
      currentInstallation({ keyFingerprint: OTHER, maskedKey: "…K5B8 #bbbbbb", installation: legacy }),
    ).toBeUndefined();
    expect(currentInstallation({ keyFingerprint: MINE, installation: legacy })).toBeUndefined();
  });
});
