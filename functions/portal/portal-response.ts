// Reading what the Open Dental portal answers: key objects (zod/mini), and the undocumented error bodies.
// Namespace import: `import { z }` makes esbuild bundle every zod locale (417 KB instead of 12 KB).
import * as z from "zod/mini";
import type { PortalKey } from "./portal-types.js";

/** The portal's "none" dates: `DateDisabled` of a never-disabled key, `DateTimeAssigned` of an uninstalled one. */
export const SENTINEL_DATE = "0001-01-01";
export const SENTINEL_DATE_TIME = "0001-01-01 00:00:00";

const CUSTOMER_KEY_SHAPE = /^[A-Z0-9]{16}$/;
const DATE_SHAPE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME_SHAPE = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

function isCalendarDate(year: string, month: string, day: string): boolean {
  const y = Number(year);
  const m = Number(month);
  const d = Number(day);
  if (m < 1 || m > 12 || d < 1) return false;
  // Day 0 of the next month is the last day of this one. setUTCFullYear keeps years 0–99 literal.
  const lastDay = new Date(0);
  lastDay.setUTCFullYear(y, m, 0);
  return d <= lastDay.getUTCDate();
}

function isDate(value: string): boolean {
  const m = DATE_SHAPE.exec(value);
  return m !== null && isCalendarDate(m[1]!, m[2]!, m[3]!);
}

function isDateTime(value: string): boolean {
  const m = DATE_TIME_SHAPE.exec(value);
  return (
    m !== null &&
    isCalendarDate(m[1]!, m[2]!, m[3]!) &&
    Number(m[4]) < 24 &&
    Number(m[5]) < 60 &&
    Number(m[6]) < 60
  );
}

/** The portal's key object, field names as the seed documents them. Extra fields are ignored. */
const rawPortalKeySchema = z.object({
  CustomerKey: z.string().check(z.regex(CUSTOMER_KEY_SHAPE, "expected 16 upper-case letters or digits")),
  KeyStatus: z.string().check(z.minLength(1, "expected a non-empty status")),
  DateCreated: z.string().check(z.refine(isDate, "expected a date as yyyy-MM-dd")),
  DateDisabled: z.string().check(z.refine(isDate, "expected a date as yyyy-MM-dd")),
  DateTimeAssigned: z.string().check(z.refine(isDateTime, "expected a date and time as yyyy-MM-dd HH:mm:ss")),
  // `""` means unlabeled; a null from the portal is read the same way rather than failing a whole listing.
  DevRefId: z.optional(z.nullable(z.string())),
});
export type RawPortalKey = z.infer<typeof rawPortalKeySchema>;

function dateOrNull(value: string): string | null {
  return value === SENTINEL_DATE ? null : value;
}

function dateTimeOrNull(value: string): string | null {
  return value === SENTINEL_DATE_TIME || value === SENTINEL_DATE ? null : value;
}

function toPortalKey(raw: RawPortalKey): PortalKey {
  return {
    customerKey: raw.CustomerKey,
    keyStatus: raw.KeyStatus,
    dateCreated: dateOrNull(raw.DateCreated),
    dateDisabled: dateOrNull(raw.DateDisabled),
    dateTimeAssigned: dateTimeOrNull(raw.DateTimeAssigned),
    devRefId: raw.DevRefId ?? "",
  };
}

/** Why a parsed JSON value is not a key (or list of keys); never includes the offending values. */
export type ShapeResult<T> = { ok: true; value: T } | { ok: false; problem: string };

function valueAt(json: unknown, path: PropertyKey[]): unknown {
  let value = json;
  for (const step of path) value = (value as Record<PropertyKey, unknown> | undefined)?.[step];
  return value;
}

function describeIssues(
  json: unknown,
  error: z.core.$ZodError,
  prefix: (path: PropertyKey[]) => string,
): string {
  const parts = error.issues.slice(0, 3).map((issue) => {
    const at = prefix(issue.path);
    if (issue.code === "invalid_type") {
      const input = valueAt(json, issue.path);
      const received = input === undefined ? "missing" : `got ${describeJsonType(input)}`;
      return `${at}: expected ${issue.expected}, ${received}`;
    }
    return `${at}: ${issue.message}`;
  });
  const more = error.issues.length > 3 ? ` (and ${error.issues.length - 3} more problems)` : "";
  return parts.join("; ") + more;
}

/** `null`, `array`, `object`, `string`… — a JSON value's kind, for messages that must not echo the value. */
export function describeJsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function fieldPath(path: PropertyKey[]): string {
  return path.map((p) => (typeof p === "number" ? `[${p}]` : String(p))).join(".") || "(root)";
}

/** One key object, e.g. the body of `POST` or `PUT /apikeys`. */
export function parsePortalKey(json: unknown): ShapeResult<PortalKey> {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return { ok: false, problem: `a JSON ${describeJsonType(json)} where a key object belongs` };
  }
  const result = rawPortalKeySchema.safeParse(json);
  if (!result.success) {
    return {
      ok: false,
      problem: `a key with ${describeIssues(json, result.error, (p) => `field ${fieldPath(p)}`)}`,
    };
  }
  return { ok: true, value: toPortalKey(result.data) };
}

/** An array of key objects, e.g. the body of `GET /apikeys`. */
export function parsePortalKeyList(json: unknown): ShapeResult<PortalKey[]> {
  if (!Array.isArray(json)) {
    return { ok: false, problem: `a JSON ${describeJsonType(json)} where an array of keys belongs` };
  }
  const keys: PortalKey[] = [];
  for (const [index, item] of json.entries()) {
    const parsed = parsePortalKey(item);
    if (!parsed.ok) return { ok: false, problem: `item [${index}]: ${parsed.problem}` };
    keys.push(parsed.value);
  }
  return { ok: true, value: keys };
}

const EXPLANATION_MAX_LENGTH = 300;
const EXPLANATION_FIELDS = ["Message", "message", "error_description", "error", "detail", "title", "errors"];

function explanationFromJson(value: unknown, depth = 0): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (depth > 2 || value === null || typeof value !== "object") return undefined;
  if (Array.isArray(value)) {
    const parts = value.map((v) => explanationFromJson(v, depth + 1)).filter((s): s is string => !!s);
    return parts.length > 0 ? parts.join("; ") : undefined;
  }
  const record = value as Record<string, unknown>;
  for (const field of EXPLANATION_FIELDS) {
    const found = explanationFromJson(record[field], depth + 1);
    if (found) return found;
  }
  // ASP.NET-style `{"errors": {"KeyStatus": ["…"]}}` is handled above; anything else is shown as it came.
  return JSON.stringify(value);
}

function looksLikeHtml(text: string): boolean {
  return /^\s*</.test(text) && /<(!doctype|html|head|body|title|h1|p|div)\b/i.test(text);
}

function collapse(text: string): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length > EXPLANATION_MAX_LENGTH ? `${oneLine.slice(0, EXPLANATION_MAX_LENGTH)}…` : oneLine;
}

/**
 * The portal's explanation from an error body, whose format is undocumented: plain text, a JSON string or a
 * JSON object (`Message`, `message`, `error`…). One line, capped in length. `redact` runs before the cap: a key
 * the cap cut in two would no longer look like a key, and its head would be shown unmasked.
 */
export function explanationFromBody(
  body: string,
  redact: (text: string) => string = (text) => text,
): string | undefined {
  const text = body.trim();
  if (text === "") return undefined;
  const shown = (value: string) => collapse(redact(value));
  if (looksLikeHtml(text)) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1]?.trim();
    const heading = /<h1[^>]*>([^<]*)<\/h1>/i.exec(text)?.[1]?.trim();
    const label = title || heading;
    return label ? `an HTML page "${shown(label)}"` : "an HTML page";
  }
  try {
    const fromJson = explanationFromJson(JSON.parse(text));
    return fromJson?.trim() ? shown(fromJson) : undefined;
  } catch {
    return shown(text);
  }
}

/** What is wrong with a 2xx body that should hold JSON, or undefined when it is JSON. */
export function describeNonJsonBody(body: string, contentType: string | null): string | undefined {
  const type = contentType?.split(";")[0]?.trim().toLowerCase() || undefined;
  if (type === "text/html") return "text/html instead of JSON";
  if (looksLikeHtml(body)) return "an HTML page instead of JSON";
  if (body.trim() === "") return "an empty body instead of JSON";
  try {
    JSON.parse(body);
    return undefined;
  } catch {
    const start = body.trimStart()[0];
    if (start === "[" || start === "{" || start === '"') return "truncated or malformed JSON";
    return `a body that is not JSON${type ? ` (${type})` : ""}`;
  }
}
