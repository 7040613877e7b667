// A deliberately small XML reader for SOAP notifications: elements, attributes, text, CDATA, comments, the
// five predefined entities and character references — and nothing else. A DOCTYPE (so any ENTITY declaration,
// internal or external), processing instructions other than the leading XML declaration, and unknown entity
// references are refused, so no entity is ever expanded and nothing outside the body is ever read. Depth,
// element count and name length are bounded; the caller bounds the input size. One linear pass, no regular
// expression over unbounded input.
//
// Why not a library: the accepted subset is this small, and owning the tokenizer means there is no entity
// machinery to configure wrongly (fast-xml-parser, for one, parses DOCTYPE entities unless told not to and now
// pulls six packages into the bundle).

export class XmlRejected extends Error {}
Object.defineProperty(XmlRejected.prototype, "name", { value: "XmlRejected", enumerable: false });

export interface XmlElement {
  /** Qualified name as written (`soapenv:Body`). */
  readonly name: string;
  readonly localName: string;
  /** Namespace URI resolved from the in-scope xmlns declarations ("" when none). */
  readonly namespace: string;
  /** Attributes by qualified name, values entity-decoded. */
  readonly attributes: ReadonlyMap<string, string>;
  readonly children: readonly XmlElement[];
  /** Concatenated character data directly inside this element (entity-decoded, CDATA included). */
  readonly text: string;
}

export interface XmlLimits {
  readonly maxDepth: number;
  readonly maxElements: number;
}

export const DEFAULT_XML_LIMITS: XmlLimits = { maxDepth: 32, maxElements: 20_000 };
const MAX_NAME_LENGTH = 256;
const MAX_ATTRIBUTES = 64;
const XML_NAMESPACE = "http://www.w3.org/XML/1998/namespace";

const PREDEFINED: Readonly<Record<string, string>> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

interface OpenElement {
  name: string;
  localName: string;
  namespace: string;
  attributes: Map<string, string>;
  children: XmlElement[];
  text: string;
  scope: Map<string, string>;
}

function isNameStart(code: number): boolean {
  return (
    (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code === 58 || code >= 0xc0
  );
}

function isNameChar(code: number): boolean {
  return isNameStart(code) || (code >= 48 && code <= 57) || code === 45 || code === 46 || code === 0xb7;
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

/** Decodes the five predefined entities and character references; anything else is refused. */
function decodeReferences(raw: string): string {
  if (!raw.includes("&")) return raw;
  let out = "";
  let index = 0;
  while (index < raw.length) {
    const amp = raw.indexOf("&", index);
    if (amp < 0) {
      out += raw.slice(index);
      break;
    }
    out += raw.slice(index, amp);
    const semicolon = raw.indexOf(";", amp);
    if (semicolon < 0 || semicolon - amp > 12) throw new XmlRejected("malformed entity reference");
    const reference = raw.slice(amp + 1, semicolon);
    if (reference.startsWith("#")) {
      const hex = reference[1] === "x";
      const digits = reference.slice(hex ? 2 : 1);
      if (!(hex ? /^[0-9A-Fa-f]{1,6}$/ : /^[0-9]{1,7}$/).test(digits)) {
        throw new XmlRejected("malformed character reference");
      }
      const code = Number.parseInt(digits, hex ? 16 : 10);
      const allowed =
        code === 0x9 ||
        code === 0xa ||
        code === 0xd ||
        (code >= 0x20 && code <= 0xd7ff) ||
        (code >= 0xe000 && code <= 0xfffd) ||
        (code >= 0x10000 && code <= 0x10ffff);
      if (!allowed) throw new XmlRejected("character reference to a character XML does not allow");
      out += String.fromCodePoint(code);
    } else {
      const value = PREDEFINED[reference];
      if (value === undefined) {
        throw new XmlRejected(
          `entity reference &${reference.slice(0, 20)}; is not allowed (no DTD entities)`,
        );
      }
      out += value;
    }
    index = semicolon + 1;
  }
  return out;
}

function resolve(qualified: string, scope: Map<string, string>, isAttribute: boolean): [string, string] {
  const colon = qualified.indexOf(":");
  if (colon < 0) return [isAttribute ? "" : (scope.get("") ?? ""), qualified];
  const prefix = qualified.slice(0, colon);
  const local = qualified.slice(colon + 1);
  if (prefix === "xml") return [XML_NAMESPACE, local];
  const namespace = scope.get(prefix);
  if (namespace === undefined) throw new XmlRejected(`undeclared namespace prefix "${prefix.slice(0, 40)}"`);
  return [namespace, local];
}

/**
 * Parses `text` into its root element.
 * @throws XmlRejected saying what was refused (DOCTYPE, entity, malformed markup, a limit).
 */
export function parseStrictXml(text: string, limits: XmlLimits = DEFAULT_XML_LIMITS): XmlElement {
  const documentStart = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let position = documentStart;
  const stack: OpenElement[] = [];
  let root: XmlElement | undefined;
  let elementCount = 0;
  let sawMarkup = false;

  const fail = (message: string): never => {
    throw new XmlRejected(`${message} (at character ${position})`);
  };

  const readName = (): string => {
    const start = position;
    if (!isNameStart(text.charCodeAt(position))) fail("expected a name");
    position++;
    while (position < text.length && isNameChar(text.charCodeAt(position))) {
      position++;
      if (position - start > MAX_NAME_LENGTH) fail("name too long");
    }
    return text.slice(start, position);
  };

  const skipSpace = (): void => {
    while (position < text.length && isSpace(text.charCodeAt(position))) position++;
  };

  const appendText = (value: string): void => {
    const current = stack.at(-1);
    if (current) {
      current.text += value;
    } else if (value.trim() !== "") {
      fail("text outside the root element");
    }
  };

  while (position < text.length) {
    const lt = text.indexOf("<", position);
    if (lt < 0) {
      appendText(decodeReferences(text.slice(position)));
      position = text.length;
      break;
    }
    if (lt > position) appendText(decodeReferences(text.slice(position, lt)));
    position = lt;

    if (text.startsWith("<?", position)) {
      // Only the XML declaration, and only as the very first thing in the document.
      const end = text.indexOf("?>", position);
      if (end < 0) fail("unterminated processing instruction");
      const isDeclaration = /^<\?xml[\s?]/.test(text.slice(position, position + 6));
      if (!isDeclaration || sawMarkup || position !== documentStart)
        fail("processing instructions are not allowed");
      const declaration = text.slice(position, end);
      const encoding = /encoding\s*=\s*["']([^"']*)["']/.exec(declaration)?.[1];
      if (encoding !== undefined && encoding.toLowerCase() !== "utf-8")
        fail("only UTF-8 documents are accepted");
      position = end + 2;
      sawMarkup = true;
      continue;
    }
    if (text.startsWith("<!--", position)) {
      const end = text.indexOf("-->", position + 4);
      if (end < 0) fail("unterminated comment");
      position = end + 3;
      sawMarkup = true;
      continue;
    }
    if (text.startsWith("<![CDATA[", position)) {
      if (stack.length === 0) fail("CDATA outside the root element");
      const end = text.indexOf("]]>", position + 9);
      if (end < 0) fail("unterminated CDATA section");
      stack.at(-1)!.text += text.slice(position + 9, end);
      position = end + 3;
      continue;
    }
    if (text.startsWith("<!", position)) {
      // <!DOCTYPE …> (and with it every <!ENTITY …>, internal or external) or any other declaration.
      const word = text.slice(position + 2, position + 9).toUpperCase();
      fail(
        word.startsWith("DOCTYPE")
          ? "DOCTYPE declarations are not allowed (no DTDs, no entities)"
          : "markup declarations are not allowed",
      );
    }
    sawMarkup = true;

    if (text.startsWith("</", position)) {
      position += 2;
      const name = readName();
      skipSpace();
      if (text[position] !== ">") fail("malformed end tag");
      position++;
      const open = stack.pop();
      if (!open || open.name !== name)
        fail(`end tag </${name.slice(0, 40)}> does not match the open element`);
      const element: XmlElement = {
        name: open!.name,
        localName: open!.localName,
        namespace: open!.namespace,
        attributes: open!.attributes,
        children: open!.children,
        text: open!.text,
      };
      if (stack.length === 0) root = element;
      else stack.at(-1)!.children.push(element);
      continue;
    }

    // Start tag.
    position++;
    if (root !== undefined) fail("more than one root element");
    const name = readName();
    const rawAttributes: [string, string][] = [];
    for (;;) {
      const before = position;
      skipSpace();
      const code = text.charCodeAt(position);
      if (code === 62 /* > */ || (code === 47 /* / */ && text[position + 1] === ">")) break;
      if (position === before) fail("expected whitespace before an attribute");
      const attributeName = readName();
      skipSpace();
      if (text[position] !== "=") fail("expected = after an attribute name");
      position++;
      skipSpace();
      const quote = text[position];
      if (quote !== '"' && quote !== "'") fail("attribute values must be quoted");
      const end = text.indexOf(quote!, position + 1);
      if (end < 0) fail("unterminated attribute value");
      const rawValue = text.slice(position + 1, end);
      if (rawValue.includes("<")) fail("< is not allowed in an attribute value");
      position = end + 1;
      if (rawAttributes.some(([existing]) => existing === attributeName)) fail("duplicate attribute");
      rawAttributes.push([attributeName, decodeReferences(rawValue)]);
      if (rawAttributes.length > MAX_ATTRIBUTES) fail("too many attributes");
    }
    const selfClosing = text[position] === "/";
    position += selfClosing ? 2 : 1;

    elementCount++;
    if (elementCount > limits.maxElements) fail(`more than ${limits.maxElements} elements`);
    if (stack.length + 1 > limits.maxDepth) fail(`nesting deeper than ${limits.maxDepth}`);

    // A child shares its parent's scope unless it declares namespaces of its own (no copy per element).
    const parentScope = stack.at(-1)?.scope ?? new Map<string, string>();
    const declares = rawAttributes.some(([n]) => n === "xmlns" || n.startsWith("xmlns:"));
    const scope = declares ? new Map(parentScope) : parentScope;
    for (const [attributeName, value] of rawAttributes) {
      if (attributeName === "xmlns") scope.set("", value);
      else if (attributeName.startsWith("xmlns:")) scope.set(attributeName.slice(6), value);
    }
    const attributes = new Map<string, string>();
    for (const [attributeName, value] of rawAttributes) {
      if (attributeName !== "xmlns" && !attributeName.startsWith("xmlns:")) {
        resolve(attributeName, scope, true);
      }
      attributes.set(attributeName, value);
    }
    const [namespace, localName] = resolve(name, scope, false);
    if (selfClosing) {
      const element: XmlElement = { name, localName, namespace, attributes, children: [], text: "" };
      if (stack.length === 0) root = element;
      else stack.at(-1)!.children.push(element);
    } else {
      stack.push({ name, localName, namespace, attributes, children: [], text: "", scope });
    }
  }
  if (stack.length > 0) throw new XmlRejected(`unclosed element <${stack.at(-1)!.name.slice(0, 40)}>`);
  if (!root) throw new XmlRejected("no root element");
  return root;
}

/** The local part of a `prefix:local` attribute value such as xsi:type="sf:Account". */
export function localPart(qualifiedValue: string): string {
  const colon = qualifiedValue.indexOf(":");
  return colon < 0 ? qualifiedValue : qualifiedValue.slice(colon + 1);
}
