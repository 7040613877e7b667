// The page's only script and stylesheet, served from their own routes because the CSP forbids inline code.

/** Shows the copy button (the key stays selectable without JavaScript) and copies the key to the clipboard. */
const COPY_SCRIPT = `"use strict";
(function () {
  var button = document.getElementById("copy-key");
  var key = document.getElementById("customer-key");
  var status = document.getElementById("copy-status");
  if (!button || !key || !status) return;
  function selectKey() {
    var range = document.createRange();
    range.selectNodeContents(key);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }
  button.hidden = false;
  button.addEventListener("click", function () {
    var text = key.textContent.trim();
    var done = function () { status.textContent = "Key copied. Paste it in Open Dental with Add Key."; };
    var fallback = function () { selectKey(); status.textContent = "Key selected: press Ctrl+C to copy it."; };
    if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(text).then(done, fallback);
    else fallback();
  });
})();
`;

const STYLESHEET = `:root { color-scheme: light; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
body { margin: 0; background: #f5f7fa; color: #1b1f24; line-height: 1.5; }
main { max-width: 42rem; margin: 2rem auto; padding: 1.5rem 2rem; background: #fff; border-radius: 8px;
  box-shadow: 0 1px 3px rgba(0, 0, 0, 0.15); }
h1 { font-size: 1.5rem; margin-top: 0; }
h2 { font-size: 1.15rem; }
.steps li { margin: 0.4rem 0; }
button { font: inherit; font-weight: 600; padding: 0.6rem 1.4rem; border-radius: 6px; border: 2px solid #0b5cad;
  background: #0b5cad; color: #fff; cursor: pointer; }
button:hover { background: #094a8c; }
button:focus-visible { outline: 3px solid #f0a500; outline-offset: 2px; }
.customer-key { display: inline-block; font-size: 1.4rem; letter-spacing: 0.08em; padding: 0.5rem 0.8rem;
  background: #eef3f8; border: 1px solid #b8c7d6; border-radius: 6px; user-select: all; }
#copy-status { min-height: 1.5em; color: #14632c; font-weight: 600; }
`;

export interface ActivationAsset {
  readonly contentType: string;
  readonly body: string;
}

export const ACTIVATION_ASSETS: Readonly<Record<string, ActivationAsset>> = {
  "copy.js": { contentType: "text/javascript; charset=utf-8", body: COPY_SCRIPT },
  "activation.css": { contentType: "text/css; charset=utf-8", body: STYLESHEET },
};
