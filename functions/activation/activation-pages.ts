// The activation page's HTML: small, framework-free, accessible (lang, one h1, ordered steps, labelled
// controls, a live region for the copy result). No inline script or style: the CSP allows only 'self' files.
// Steps from Open Dental's API setup guide (opendental.com/site/apisetup.html).

/** Asset routes, relative to `/activate/{token}` so the pages work under any API stage path. */
export const ASSET_PATH = { stylesheet: "assets/activation.css", copyScript: "assets/copy.js" } as const;

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

function layout(options: { title: string; body: string; script?: boolean }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${escapeHtml(options.title)}</title>
<link rel="stylesheet" href="${ASSET_PATH.stylesheet}">
${options.script ? `<script src="${ASSET_PATH.copyScript}" defer></script>\n` : ""}</head>
<body>
<main>
${options.body}
</main>
</body>
</html>
`;
}

function installSteps(keyPlace: string): string {
  return `<h2>Install the key in Open Dental</h2>
<ol class="steps">
<li>Make sure the office's <strong>eConnector</strong> is running: Open Dental's API reaches your database through it.</li>
<li>In Open Dental, go to <strong>Setup &gt; Advanced Setup &gt; API</strong>.</li>
<li>Check <strong>Enabled</strong>.</li>
<li>Click <strong>Add Key</strong> (lower left) and paste ${keyPlace}.</li>
</ol>`;
}

/** Before the reveal: the practice, the steps, and the button that spends the link. The key is not in it. */
export function activationLandingPage(options: { devRefId: string; token: string }): string {
  const practice = escapeHtml(options.devRefId);
  return layout({
    title: `Open Dental API key for ${options.devRefId}`,
    body: `<h1>Open Dental API key for <span class="practice">${practice}</span></h1>
<p>Your software vendor created an Open Dental API key for <strong>${practice}</strong>. Reveal it when you are at the
computer where you will install it: <strong>it can be shown only once</strong>, and this link stops working afterwards.</p>
${installSteps("the key that this page shows after you reveal it")}
<form method="post" action="${escapeHtml(options.token)}" class="reveal">
<input type="hidden" name="token" value="${escapeHtml(options.token)}">
<button type="submit" id="reveal-key">Reveal key</button>
</form>`,
  });
}

/** The one page that carries the key. */
export function activationRevealedPage(options: { devRefId: string; customerKey: string }): string {
  const practice = escapeHtml(options.devRefId);
  return layout({
    title: `Your Open Dental API key for ${options.devRefId}`,
    script: true,
    body: `<h1>Your Open Dental API key for <span class="practice">${practice}</span></h1>
<section aria-labelledby="key-heading" class="key">
<h2 id="key-heading">Your key</h2>
<p><code id="customer-key" class="customer-key">${escapeHtml(options.customerKey)}</code></p>
<p><button type="button" id="copy-key" hidden>Copy key</button></p>
<p id="copy-status" role="status" aria-live="polite"></p>
<p>This is the only time the key is shown: this link no longer works. Keep this page open until the key is
installed.</p>
</section>
${installSteps("this key")}`,
  });
}

/** After the reveal: 410, and what to do. */
export function activationSpentPage(): string {
  return layout({
    title: "This activation link has already been used",
    body: `<h1>This activation link has already been used</h1>
<p>The key it carried was shown once and cannot be shown again. If you did not install it, or you did not open
this link yourself, ask your software vendor for a new link.</p>`,
  });
}

/**
 * Unknown, expired or revoked links, and any practice that is no longer active: one body for all, so the page
 * says nothing about whether a practice or a link exists.
 */
export function activationUnavailablePage(): string {
  return layout({
    title: "This activation link cannot be used",
    body: `<h1>This activation link cannot be used</h1>
<p>It may have expired or been replaced by a newer link. Ask your software vendor for a new link.</p>`,
  });
}

export function activationRejectedPage(): string {
  return layout({
    title: "The request was refused",
    body: `<h1>The request was refused</h1>
<p>Open the activation link from your email again and press <strong>Reveal key</strong> on that page.</p>`,
  });
}

export function activationTooManyRequestsPage(): string {
  return layout({
    title: "Too many requests",
    body: `<h1>Too many requests</h1>
<p>Please wait a few minutes and open the activation link again.</p>`,
  });
}

export function activationErrorPage(): string {
  return layout({
    title: "Something went wrong",
    body: `<h1>Something went wrong</h1>
<p>Your key was not shown. Please try the activation link again in a few minutes.</p>`,
  });
}
