// Where the browser tests find headless Chromium: CHROMIUM_PATH, else Debian's and other usual places. CI
// (.ci/run) installs Debian's `chromium` when missing and sets ACTIVATION_BROWSER_REQUIRED, so a missing browser
// fails there instead of silently skipping.
import { existsSync } from "node:fs";

export function findChromium(): string | undefined {
  const candidates = [
    process.env.CHROMIUM_PATH,
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
  ];
  return candidates.find((path): path is string => !!path && existsSync(path));
}

/** The Chromium to use, or undefined to skip; throws when CI requires one and there is none. */
export function requiredChromium(): string | undefined {
  const executablePath = findChromium();
  if (!executablePath && process.env.ACTIVATION_BROWSER_REQUIRED)
    throw new Error("Chromium not found: install Debian's chromium package or set CHROMIUM_PATH");
  return executablePath;
}

/** Launch arguments: CI containers run as root, where Chromium's sandbox cannot start. */
export const CHROMIUM_ARGS = ["--no-sandbox"];
