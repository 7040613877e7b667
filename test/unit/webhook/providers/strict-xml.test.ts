// The strict XML reader: what it accepts (what SOAP senders write) and what it refuses (every DTD feature).
import { describe, expect, it } from "vitest";
import { parseStrictXml, XmlRejected } from "../../../../functions/webhook/providers/strict-xml.js";

function refusal(text: string): string {
  try {
    parseStrictXml(text);
  } catch (error) {
    if (error instanceof XmlRejected) return error.message;
    throw error;
  }
  throw new Error("expected XmlRejected");
}

describe("parseStrictXml", () => {
  it("reads elements, namespaces, attributes, CDATA, comments, predefined entities and character references", () => {
    const root = parseStrictXml(
      '\uFEFF<?xml version="1.0" encoding="utf-8"?><!-- hi --><r xmlns="urn:a" xmlns:p="urn:p" p:k="&quot;v&quot;">' +
        "<p:c>&lt;&#65;&#x42;&amp;<![CDATA[<raw & text>]]></p:c><d/></r>",
    );
    expect([root.localName, root.namespace, root.attributes.get("p:k")]).toEqual(["r", "urn:a", '"v"']);
    expect(root.children.map((child) => [child.localName, child.namespace, child.text])).toEqual([
      ["c", "urn:p", "<AB&<raw & text>"],
      ["d", "urn:a", ""],
    ]);
  });

  it.each([
    ["an internal DTD", '<!DOCTYPE r [<!ENTITY a "b">]><r>&a;</r>', /DOCTYPE/],
    ["an external DTD", '<!DOCTYPE r SYSTEM "http://attacker.example/x.dtd"><r/>', /DOCTYPE/],
    ["a lower-case doctype", "<!doctype r><r/>", /DOCTYPE/],
    ["a DOCTYPE after the root", "<r/><!DOCTYPE r>", /DOCTYPE/],
    ["an ENTITY declaration anywhere", '<r><!ENTITY a "b"></r>', /declarations/],
    ["an undeclared entity", "<r>&nbsp;</r>", /&nbsp;/],
    ["an entity in an attribute", '<r a="&ext;"/>', /&ext;/],
    ["a character reference to NUL", "<r>&#0;</r>", /character/],
    ["a processing instruction", "<r><?php echo 1 ?></r>", /processing/],
    ["a late XML declaration", ' <?xml version="1.0"?><r/>', /processing/],
    ["a non-UTF-8 declaration", '<?xml version="1.0" encoding="ISO-8859-1"?><r/>', /UTF-8/],
    ["mismatched tags", "<a></b>", /does not match/],
    ["an unclosed element", "<a><b></b>", /unclosed/],
    ["two roots", "<a/><b/>", /more than one root/],
    ["text outside the root", "x<a/>", /outside/],
    ["an undeclared prefix", "<p:a/>", /undeclared/],
    ["a duplicate attribute", '<a x="1" x="2"/>', /duplicate/],
    ["an unquoted attribute", "<a x=1/>", /quoted/],
    ["< in an attribute value", '<a x="<"/>', /not allowed/],
    ["no root", "<!-- only a comment -->", /no root/],
  ])("refuses %s", (_, text, message) => {
    expect(refusal(text)).toMatch(message);
  });

  it("bounds depth and element count", () => {
    expect(refusal(`${"<a>".repeat(33)}${"</a>".repeat(33)}`)).toMatch(/deeper than 32/);
    expect(refusal(`<r>${"<a/>".repeat(20_000)}</r>`)).toMatch(/more than 20000 elements/);
  });

  it("reads a half-megabyte document in linear time", () => {
    const text = `<r>${"<a x='1'>some text &amp; more</a>".repeat(15_000)}</r>`;
    const started = performance.now();
    expect(parseStrictXml(text).children).toHaveLength(15_000);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
