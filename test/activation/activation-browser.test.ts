// The activation page in a real browser: headless Chromium (Debian's package) driven by playwright-core opens
// the link, finds the steps, reveals the key with the keyboard, copies it, reloads and gets the spent page.
// Screenshots of each state go to test/activation/screenshots/ (gitignored; docs/images/ keeps the README's).
import { mkdirSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ActivationTestServer, startActivationTestServer } from "./activation-server.js";
import { requiredChromium } from "./chromium.js";

const KEY = "QJXZR4PNK5B8W2HD";
const SCREENSHOTS = join(import.meta.dirname, "screenshots");

const executablePath = requiredChromium();

describe.skipIf(!executablePath)("the activation page in headless Chromium", () => {
  let browser: Browser;
  let server: ActivationTestServer;
  const cspViolations: string[] = [];

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    // --no-sandbox: CI containers run as root, where Chromium's sandbox cannot start.
    browser = await chromium.launch({ executablePath: executablePath!, args: ["--no-sandbox"] });
    server = await startActivationTestServer();
    server.keys.practices.set("practice-001", {
      practiceId: "practice-001",
      devRefId: "Sarah's Super Dental",
      customerKey: KEY,
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 900, height: 760 } });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });
    const page = await context.newPage();
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    return page;
  }

  it("opens the link, reveals the key with the keyboard, copies it, and a reload gets the spent page", async () => {
    const { url } = await server.issue("practice-001");
    const page = await newPage();

    const opened = await page.goto(url);
    expect(opened?.status()).toBe(200);
    await expect
      .poll(() => page.getByRole("heading", { level: 1 }).textContent())
      .toBe("Open Dental API key for Sarah's Super Dental");
    const steps = await page.getByRole("listitem").allTextContents();
    expect(steps).toEqual([
      expect.stringContaining("eConnector"),
      expect.stringContaining("Setup > Advanced Setup > API"),
      expect.stringContaining("Enabled"),
      expect.stringContaining("Add Key (lower left)"),
    ]);
    expect(await page.content()).not.toContain(KEY);
    await page.screenshot({ path: join(SCREENSHOTS, "1-landing.png"), fullPage: true });

    // Keyboard only: Tab reaches the button by its accessible name, Enter submits the form.
    const revealButton = page.getByRole("button", { name: "Reveal key" });
    const focusedId = () => page.evaluate<string | undefined>("document.activeElement?.id");
    for (let i = 0; i < 5 && (await focusedId()) !== "reveal-key"; i++) await page.keyboard.press("Tab");
    expect(await focusedId()).toBe("reveal-key");
    expect(await revealButton.textContent()).toBe("Reveal key");
    const [revealed] = await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
    expect(revealed?.status()).toBe(200);
    expect(revealed?.request().method()).toBe("POST");
    expect(await page.locator("#customer-key").textContent()).toBe(KEY);
    await page.screenshot({ path: join(SCREENSHOTS, "2-revealed.png"), fullPage: true });

    // copy.js (served from /activate/assets/, allowed by script-src 'self') shows and wires the button.
    await page.getByRole("button", { name: "Copy key" }).click();
    await expect.poll(() => page.getByRole("status").textContent()).toContain("Key copied");
    expect(await page.evaluate<string>("navigator.clipboard.readText()")).toBe(KEY);
    await page.screenshot({ path: join(SCREENSHOTS, "3-copied.png"), fullPage: true });

    // Reloading the revealed page re-sends its POST; opening the link again is a GET: both find it spent.
    const reloaded = await page.reload();
    expect(reloaded?.request().method()).toBe("POST");
    expect(reloaded?.status()).toBe(410);
    expect(await page.content()).not.toContain(KEY);
    const reopened = await page.goto(url);
    expect(reopened?.status()).toBe(410);
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe(
      "This activation link has already been used",
    );
    expect(await page.content()).not.toContain(KEY);
    await page.screenshot({ path: join(SCREENSHOTS, "4-spent.png"), fullPage: true });

    expect(cspViolations).toEqual([]);
    await page.context().close();
  });

  it("shows the same 'cannot be used' page for an unknown link", async () => {
    const page = await newPage();

    const response = await page.goto(`${server.url}/activate/${"u".repeat(43)}`);

    expect(response?.status()).toBe(404);
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe(
      "This activation link cannot be used",
    );
    await page.screenshot({ path: join(SCREENSHOTS, "5-unavailable.png"), fullPage: true });
    expect(cspViolations).toEqual([]);
    await page.context().close();
  });

  it("is refused when another site's page posts the reveal form (no key, link still usable)", async () => {
    const { url } = await server.issue("practice-001");
    const token = url.split("/").pop()!;
    // Another origin whose page auto-submits the reveal form, as a CSRF attempt would.
    const attacker = createServer((_request, response) => {
      response.writeHead(200, { "content-type": "text/html" });
      response.end(
        `<form method="post" action="${url}"><input name="token" value="${token}"></form>` +
          "<script>document.forms[0].submit()</script>",
      );
    });
    await new Promise<void>((resolve) => attacker.listen(0, "127.0.0.1", resolve));
    const page = await newPage();
    try {
      const address = attacker.address() as AddressInfo;
      const posted = page.waitForResponse((r) => r.url() === url && r.request().method() === "POST");
      await page.goto(`http://localhost:${address.port}/`);
      const response = await posted;

      expect(response.status()).toBe(403);
      expect(await response.text()).not.toContain(KEY);
      expect((await page.goto(url))?.status()).toBe(200);
    } finally {
      await page.context().close();
      attacker.closeAllConnections();
      attacker.close();
    }
  });
});
