// The activation page over real HTTP (Node server → HTTP API v2 event → handler), against the behaviour issue 16
// documents: GET never reveals, one reveal then 410, expired/revoked 410, unknown 404 with the body of an expired
// link for a practice that no longer exists, strict headers, same-origin reveals, a rate limit, and no token or
// key in any log line or audit entry.
import { afterEach, describe, expect, it } from "vitest";
import { revokeActivationLinks } from "../../functions/activation/activation-links.js";
import { InMemorySourceRateLimiter } from "../../functions/activation/source-rate-limiter.js";
import { captureProcessOutput } from "../support/captured-output.js";
import { type ActivationTestServer, startActivationTestServer } from "./activation-server.js";

const KEY = "QJXZR4PNK5B8W2HD";
const NEW_KEY = "ZZ7Q3MW9KD2PL5XA";
const PRACTICE = { practiceId: "practice-001", devRefId: "Sarah's Super Dental", customerKey: KEY };

const output = captureProcessOutput();
let server: ActivationTestServer;

async function start(options?: Parameters<typeof startActivationTestServer>[0]) {
  server = await startActivationTestServer(options);
  server.keys.practices.set(PRACTICE.practiceId, PRACTICE);
  return server;
}
afterEach(async () => server?.close());

/** The reveal as the page's form sends it: same-origin, url-encoded, carrying the token. */
function reveal(url: string, init: { origin?: string | null; fetchSite?: string; formToken?: string } = {}) {
  const token = url.split("/").pop()!;
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  const origin = init.origin === undefined ? new URL(url).origin : init.origin;
  if (origin !== null) headers.origin = origin;
  if (init.fetchSite) headers["sec-fetch-site"] = init.fetchSite;
  return fetch(url, {
    method: "POST",
    headers,
    body: new URLSearchParams({ token: init.formToken ?? token }).toString(),
  });
}

const REQUIRED_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
};

function expectSecurityHeaders(response: Response) {
  for (const [name, value] of Object.entries(REQUIRED_HEADERS))
    expect(response.headers.get(name), name).toBe(value);
}

describe("GET /activate/{token}", () => {
  it("shows the practice's name, the Open Dental steps and a Reveal key button, never the key", async () => {
    await start();
    const { url } = await server.issue(PRACTICE.practiceId);

    const response = await fetch(url);
    const html = await response.text();

    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(html).toContain('<html lang="en">');
    expect(html).toContain("Sarah&#39;s Super Dental");
    expect(html).toContain("eConnector");
    expect(html).toContain("Setup &gt; Advanced Setup &gt; API");
    expect(html).toContain("<strong>Enabled</strong>");
    expect(html).toContain("<strong>Add Key</strong> (lower left)");
    expect(html).toMatch(
      /<form method="post"[^>]*>[\s\S]*<button type="submit" id="reveal-key">Reveal key<\/button>/,
    );
    expect(html).not.toContain(KEY);
  });

  it("never reveals, however often a mail scanner prefetches it; the office's POST still does", async () => {
    await start();
    const { url } = await server.issue(PRACTICE.practiceId);

    for (let i = 0; i < 3; i++) {
      const response = await fetch(url);
      expect(response.status).toBe(200);
      expect(await response.text()).not.toContain(KEY);
    }
    const revealed = await reveal(url);
    expect(revealed.status).toBe(200);
    expect(await revealed.text()).toContain(KEY);
  });

  it("escapes the practice's name (a DevRefId is CRM data, not markup)", async () => {
    await start();
    server.keys.practices.set("practice-x", {
      practiceId: "practice-x",
      devRefId: `<script>alert("x")</script>`,
      customerKey: KEY,
    });
    const { url } = await server.issue("practice-x");

    const html = await (await fetch(url)).text();

    expect(html).not.toContain("<script>alert");
    expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
  });
});

describe("POST /activate/{token} (reveal)", () => {
  it("shows the key once with a copy button; a second reveal and any later GET answer 410 'already used'", async () => {
    await start();
    const { url } = await server.issue(PRACTICE.practiceId);

    const first = await reveal(url);
    const firstHtml = await first.text();
    expect(first.status).toBe(200);
    expect(firstHtml).toContain(`<code id="customer-key" class="customer-key">${KEY}</code>`);
    expect(firstHtml).toContain('<button type="button" id="copy-key" hidden>Copy key</button>');
    expect(firstHtml).toContain('<script src="assets/copy.js" defer></script>');

    for (const again of [await reveal(url), await fetch(url)]) {
      const html = await again.text();
      expect(again.status).toBe(410);
      expect(html).toContain("already been used");
      expect(html).toContain("ask your software vendor for a new link");
      expect(html).not.toContain(KEY);
    }
  });

  it("lets exactly one of several concurrent reveals show the key", async () => {
    await start();
    const { url } = await server.issue(PRACTICE.practiceId);

    const responses = await Promise.all(Array.from({ length: 6 }, () => reveal(url)));

    expect(responses.map((r) => r.status).sort()).toEqual([200, 410, 410, 410, 410, 410]);
  });

  it.each([
    ["another site's Origin", { origin: "https://evil.example" }],
    ["Sec-Fetch-Site: cross-site", { fetchSite: "cross-site" }],
    ["Sec-Fetch-Site: same-site (a sibling subdomain)", { fetchSite: "same-site" }],
    [
      "another site's Origin with Sec-Fetch-Site: same-origin",
      { origin: "https://evil.example", fetchSite: "same-origin" },
    ],
    ["an opaque Origin (null)", { origin: "null" }],
    ["neither Origin nor Sec-Fetch-Site", { origin: null }],
    ["a form token other than the link's", { formToken: "A".repeat(43) }],
  ] as const)("refuses a reveal with %s (403) and leaves the link usable", async (_name, init) => {
    await start();
    const { url } = await server.issue(PRACTICE.practiceId);

    const refused = await reveal(url, init);

    expect(refused.status).toBe(403);
    expect(await refused.text()).not.toContain(KEY);
    expectSecurityHeaders(refused);
    expect((await reveal(url)).status).toBe(200);
  });

  it.each([
    ["Sec-Fetch-Site: same-origin alone", { origin: null, fetchSite: "same-origin" }],
    // What Chromium sends for our own form: no-referrer makes the Origin of a form POST "null" (Fetch standard).
    ["Origin: null with Sec-Fetch-Site: same-origin", { origin: "null", fetchSite: "same-origin" }],
    ["our own Origin with Sec-Fetch-Site: same-origin", { fetchSite: "same-origin" }],
  ] as const)("accepts a reveal with %s", async (_name, init) => {
    await start();
    const { url } = await server.issue(PRACTICE.practiceId);

    expect((await reveal(url, init)).status).toBe(200);
  });
});

describe("links that cannot be used", () => {
  it("answers an expired link 410 for GET and POST, without the practice's name", async () => {
    await start();
    const { url, expiresAt } = await server.issue(PRACTICE.practiceId, 60 * 60_000);
    server.clock = new Date(Date.parse(expiresAt));

    for (const response of [await fetch(url), await reveal(url)]) {
      const html = await response.text();
      expect(response.status).toBe(410);
      expect(html).toContain("cannot be used");
      expect(html).not.toContain("Sarah");
      expect(html).not.toContain(KEY);
    }
    expect(server.audit.filter((e) => e.action === "expired")).toHaveLength(2);
  });

  it("answers an unknown token 404 with exactly the body of an expired link for a practice that no longer exists", async () => {
    await start();
    const { url, expiresAt } = await server.issue(PRACTICE.practiceId, 60 * 60_000);
    server.keys.practices.delete(PRACTICE.practiceId);
    server.clock = new Date(Date.parse(expiresAt) + 1);
    const expiredForNobody = await fetch(url);
    const unknown = await fetch(`${server.url}/activate/${"x".repeat(43)}`);
    const malformed = await fetch(`${server.url}/activate/not-a-token`);

    expect(expiredForNobody.status).toBe(410);
    expect(unknown.status).toBe(404);
    expect(malformed.status).toBe(404);
    const body = await expiredForNobody.text();
    expect(await unknown.text()).toBe(body);
    expect(await malformed.text()).toBe(body);
    expectSecurityHeaders(unknown);
  });

  it("answers 410 once the practice is offboarded and its links revoked, with the same body", async () => {
    await start();
    const { url } = await server.issue(PRACTICE.practiceId);
    const unknownBody = await (await fetch(`${server.url}/activate/${"y".repeat(43)}`)).text();

    server.keys.practices.delete(PRACTICE.practiceId);
    const revoked = await revokeActivationLinks(
      { store: server.store, audit: (e) => void server.audit.push(e), now: () => server.clock },
      PRACTICE.practiceId,
      "offboarded",
    );

    expect(revoked).toHaveLength(1);
    for (const response of [await fetch(url), await reveal(url)]) {
      expect(response.status).toBe(410);
      expect(await response.text()).toBe(unknownBody);
    }
    expect(server.audit.find((e) => e.action === "revoked")?.details).toEqual({ reason: "offboarded" });
  });

  it("revokes the previous link when a new one is issued for the same practice", async () => {
    await start();
    const older = await server.issue(PRACTICE.practiceId);
    const newer = await server.issue(PRACTICE.practiceId);

    expect((await reveal(older.url)).status).toBe(410);
    expect((await reveal(newer.url)).status).toBe(200);
  });

  it("refuses a link whose practice has since been given another key (410, nothing shown)", async () => {
    await start();
    const { url } = await server.issue(PRACTICE.practiceId);
    server.keys.practices.set(PRACTICE.practiceId, { ...PRACTICE, customerKey: NEW_KEY });

    for (const response of [await fetch(url), await reveal(url)]) {
      const html = await response.text();
      expect(response.status).toBe(410);
      expect(html).not.toContain(NEW_KEY);
      expect(html).not.toContain(KEY);
    }
  });
});

describe("headers, assets and rate limit", () => {
  it("sends the security headers on every page state and asset", async () => {
    await start();
    const { url } = await server.issue(PRACTICE.practiceId);
    const responses = [
      await fetch(url),
      await reveal(url),
      await fetch(url),
      await fetch(`${server.url}/activate/${"z".repeat(43)}`),
      await fetch(`${server.url}/activate/assets/copy.js`),
      await fetch(`${server.url}/activate/assets/activation.css`),
    ];

    expect(responses.map((r) => r.status)).toEqual([200, 200, 410, 404, 200, 200]);
    for (const response of responses) expectSecurityHeaders(response);
    expect(responses[4]!.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(responses[5]!.headers.get("content-type")).toBe("text/css; charset=utf-8");
  });

  it("answers unknown assets and malformed escapes with the plain 404 page", async () => {
    await start();
    for (const path of ["/activate/assets/secrets.txt", "/activate/assets/%E0", "/activate/%E0%A4%A"]) {
      const response = await fetch(`${server.url}${path}`);
      expect(response.status, path).toBe(404);
      expect(await response.text()).toContain("cannot be used");
    }
  });

  it("answers asset names inherited from Object.prototype with the plain 404 page and its headers", async () => {
    await start();
    for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty"]) {
      const response = await fetch(`${server.url}/activate/assets/${name}`);
      expect(response.status, name).toBe(404);
      expect(response.headers.get("content-type"), name).toBe("text/html; charset=utf-8");
      expectSecurityHeaders(response);
      expect(await response.text(), name).toContain("cannot be used");
    }
  });

  it("has no inline script, inline style or external resource in any page (the CSP would block them)", async () => {
    await start();
    const { url } = await server.issue(PRACTICE.practiceId);
    const pages = [
      await (await fetch(url)).text(),
      await (await reveal(url)).text(),
      await (await fetch(url)).text(),
    ];

    for (const html of pages) {
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
      expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    }
  });

  it("answers 429 with Retry-After once a source exceeds its requests per window", async () => {
    await start({ rateLimiter: new InMemorySourceRateLimiter({ limit: 3, windowMs: 60_000 }) });
    const { url } = await server.issue(PRACTICE.practiceId);

    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await fetch(url)).status);
    const limited = await reveal(url);

    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expectSecurityHeaders(limited);
    server.clock = new Date(server.clock.getTime() + 60_000);
    expect((await reveal(url)).status).toBe(200);
  });
});

describe("logs and audit", () => {
  it("audits issue, view, reveal, refusal and revocation with a link id, and never logs or audits the token or key", async () => {
    await start();
    const first = await server.issue(PRACTICE.practiceId);
    const second = await server.issue(PRACTICE.practiceId);
    await fetch(first.url);
    await fetch(second.url);
    await reveal(second.url);
    await reveal(second.url);
    // An unknown token: the last character changed (to one it is not: "Q" alone failed 1 run in 64).
    const last = first.token.slice(42);
    await fetch(`${server.url}/activate/${first.token.slice(0, 42)}${last === "Q" ? "R" : "Q"}`);

    expect(server.audit.map((e) => e.action)).toEqual([
      "issued",
      "revoked",
      "issued",
      "viewed",
      "viewed",
      "revealed",
      "viewed",
    ]);
    expect(server.audit.filter((e) => e.action === "viewed").map((e) => e.details?.state)).toEqual([
      "revoked",
      "open",
      "revealed",
    ]);
    expect(new Set(server.audit.map((e) => e.linkId)).size).toBe(2);
    const logged = output.text();
    expect(output.records().map((r) => r.message)).toEqual([
      "Activation link refused",
      "Activation link viewed",
      "Activation key revealed",
      "Activation link refused",
      "Activation link unknown",
    ]);
    const audited = JSON.stringify(server.audit);
    for (const secret of [
      first.token,
      second.token,
      KEY,
      first.token.slice(0, 20),
      second.token.slice(-20),
    ]) {
      expect(logged).not.toContain(secret);
      expect(audited).not.toContain(secret);
    }
    expect(logged).not.toMatch(/[A-Za-z0-9_-]{43}/);
  });
});
