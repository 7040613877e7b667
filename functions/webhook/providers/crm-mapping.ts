// The declarative per-provider mapping (config/crm-mapping.json): which field is the practice id, which the
// DevRefId, which field values mean onboard, churn or win-back. Validated once (at synth and at cold start)
// with an error naming the bad path; applied to each verified ProviderRecord to make a LifecycleRequest.
import { readFileSync } from "node:fs";
import * as z from "zod/mini";
import { ConfigurationError } from "../../platform/errors.js";
import { devRefIdSchema, practiceIdSchema } from "../../practice/practice-input.js";
import { issuedTooFarAhead } from "../../practice/request-order.js";
import {
  type CrmProvider,
  LIFECYCLE_KINDS,
  type LifecycleKind,
  type LifecycleRequest,
  type ProviderRecord,
} from "./lifecycle-request.js";
import { SALESFORCE_ID } from "./salesforce-outbound-message.js";

const fieldName = z.string().check(
  z.regex(/^[A-Za-z_][A-Za-z0-9_.]{0,127}$/, {
    error: "must be a field name (letters, digits, _ and ., starting with a letter or _)",
  }),
);
const matchValue = z.union(
  [
    z.string().check(z.minLength(1, { error: "must not be empty" })),
    z
      .array(z.string().check(z.minLength(1)))
      .check(z.minLength(1, { error: "must list at least one value" })),
  ],
  { error: "must be a string or a non-empty array of strings" },
);
const ruleSchema = z.strictObject({
  when: z
    .record(fieldName, matchValue)
    .check(z.refine((when) => Object.keys(when).length > 0, { error: "must name at least one field" })),
  kind: z.enum(LIFECYCLE_KINDS, { error: `must be one of ${LIFECYCLE_KINDS.join(", ")}` }),
});
const providerSchema = {
  practiceId: z.strictObject({
    field: fieldName,
    prefix: z.optional(
      z.string().check(z.regex(/^[A-Za-z0-9._:-]{1,32}$/, { error: "must be 1-32 of A-Z a-z 0-9 . _ : -" })),
    ),
  }),
  devRefId: z.optional(z.strictObject({ field: fieldName })),
  issuedAt: z.optional(z.strictObject({ field: fieldName })),
  rules: z.array(ruleSchema).check(z.minLength(1, { error: "must hold at least one rule" })),
};
const mappingSchema = z
  .strictObject({
    $comment: z.optional(z.string()),
    hubspot: z.optional(z.strictObject(providerSchema)),
    salesforce: z.optional(
      z.strictObject({
        ...providerSchema,
        allowedOrganizationIds: z
          .array(
            z
              .string()
              .check(
                z.regex(SALESFORCE_ID, { error: "must be a 15- or 18-character Salesforce organization id" }),
              ),
          )
          .check(z.minLength(1, { error: "must list at least one organization id" })),
      }),
    ),
  })
  .check(
    z.refine((mapping) => mapping.hubspot !== undefined || mapping.salesforce !== undefined, {
      error: "must configure hubspot, salesforce or both",
    }),
  );

export type CrmMapping = z.infer<typeof mappingSchema>;
export type ProviderMapping = NonNullable<CrmMapping["hubspot"]>;

function describePath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (out, key) => (typeof key === "number" ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)),
    "",
  );
}

/** Rules with the same conditions but different kinds would make the first one silently win. */
function findContradiction(provider: string, mapping: ProviderMapping): string | undefined {
  const seen = new Map<string, { index: number; kind: LifecycleKind }>();
  for (const [index, rule] of mapping.rules.entries()) {
    const key = JSON.stringify(
      Object.entries(rule.when)
        .map(([field, value]) => [field, [value].flat().sort()])
        .sort(([a], [b]) => String(a).localeCompare(String(b))),
    );
    const earlier = seen.get(key);
    if (earlier && earlier.kind !== rule.kind) {
      return `${provider}.rules[${index}] has the same "when" as ${provider}.rules[${earlier.index}] but kind "${rule.kind}" instead of "${earlier.kind}"`;
    }
    if (!earlier) seen.set(key, { index, kind: rule.kind });
  }
  return undefined;
}

/**
 * Validates a mapping value.
 * @param source where it came from, for the message (`config/crm-mapping.json`).
 * @throws ConfigurationError naming the path and what is wrong with it.
 */
export function parseCrmMapping(value: unknown, source: string): CrmMapping {
  const result = z.safeParse(mappingSchema, value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const path = describePath(issue.path);
    throw new ConfigurationError(`${source}: ${path || "(top level)"} ${issue.message}`);
  }
  for (const provider of ["hubspot", "salesforce"] as const) {
    const mapping = result.data[provider];
    const contradiction = mapping && findContradiction(provider, mapping);
    if (contradiction) throw new ConfigurationError(`${source}: ${contradiction}`);
  }
  return result.data;
}

/** Parses mapping JSON text (an environment variable or a file's content). */
export function parseCrmMappingJson(text: string, source: string): CrmMapping {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigurationError(`${source}: not valid JSON (${(error as Error).message})`);
  }
  return parseCrmMapping(value, source);
}

/** Reads and validates a mapping file (used at synth by the CDK app and by the local stack). */
export function loadCrmMappingFile(path: string): CrmMapping {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigurationError(
      `${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
  return parseCrmMappingJson(text, path);
}

export type MappingOutcome =
  | { readonly outcome: "request"; readonly request: LifecycleRequest }
  /** No rule matched: a change this system does not act on (another stage, another object). Acknowledge it. */
  | { readonly outcome: "ignored"; readonly deliveryId: string; readonly reason: string }
  /** A rule matched but the record cannot become a request (missing or invalid practice id): alarm on it. */
  | { readonly outcome: "invalid"; readonly deliveryId: string; readonly reason: string };

function matches(when: Record<string, string | string[]>, fields: Readonly<Record<string, string>>): boolean {
  return Object.entries(when).every(([field, expected]) => {
    const actual = fields[field];
    return actual !== undefined && [expected].flat().includes(actual);
  });
}

function parseIssuedAt(value: string): string | undefined {
  // Epoch milliseconds (HubSpot style) or an ISO 8601 date-time with an offset (Salesforce dateTime).
  const date = /^\d{1,16}$/.test(value)
    ? new Date(Number(value))
    : /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/.test(value)
      ? new Date(value)
      : undefined;
  return date && !Number.isNaN(date.getTime()) ? date.toISOString() : undefined;
}

/**
 * Maps one verified record. The first rule whose every `when` field equals one of its values decides the kind.
 * @param receivedAt used as issuedAt only when neither the provider nor the mapping gives the event a time.
 */
export function mapRecord(
  provider: CrmProvider,
  mapping: ProviderMapping,
  record: ProviderRecord,
  receivedAt: Date,
): MappingOutcome {
  const { deliveryId, fields } = record;
  const rule = mapping.rules.find((candidate) => matches(candidate.when, fields));
  if (!rule) return { outcome: "ignored", deliveryId, reason: "no mapping rule matches this event" };

  const rawPracticeId = fields[mapping.practiceId.field];
  if (rawPracticeId === undefined || rawPracticeId.trim() === "") {
    return {
      outcome: "invalid",
      deliveryId,
      reason: `field ${mapping.practiceId.field} (practice id) is missing`,
    };
  }
  const practiceId = z.safeParse(
    practiceIdSchema,
    `${mapping.practiceId.prefix ?? ""}${rawPracticeId.trim()}`,
  );
  if (!practiceId.success) {
    return {
      outcome: "invalid",
      deliveryId,
      reason: `field ${mapping.practiceId.field}: ${practiceId.error.issues[0]!.message}`,
    };
  }

  let devRefId: string | undefined;
  if (mapping.devRefId) {
    const raw = fields[mapping.devRefId.field];
    if (raw !== undefined && raw.trim() !== "") {
      const parsed = z.safeParse(devRefIdSchema, raw);
      if (!parsed.success) {
        return {
          outcome: "invalid",
          deliveryId,
          reason: `field ${mapping.devRefId.field}: ${parsed.error.issues[0]!.message}`,
        };
      }
      devRefId = parsed.data;
    }
  }

  let issuedAt = record.issuedAt;
  if (mapping.issuedAt) {
    const raw = fields[mapping.issuedAt.field];
    issuedAt = raw === undefined ? undefined : parseIssuedAt(raw.trim());
    if (issuedAt === undefined) {
      return {
        outcome: "invalid",
        deliveryId,
        reason: `field ${mapping.issuedAt.field} (issued at) must be an ISO 8601 date-time or epoch milliseconds`,
      };
    }
  }

  const ahead = issuedAt === undefined ? undefined : issuedTooFarAhead(issuedAt, receivedAt);
  if (ahead) {
    const source = mapping.issuedAt ? `field ${mapping.issuedAt.field} (issued at)` : "the event's time";
    return { outcome: "invalid", deliveryId, reason: `${source} ${ahead}` };
  }

  return {
    outcome: "request",
    request: {
      provider,
      deliveryId,
      issuedAt: issuedAt ?? receivedAt.toISOString(),
      kind: rule.kind,
      practiceId: practiceId.data,
      ...(devRefId === undefined ? {} : { devRefId }),
    },
  };
}

export interface MappedDelivery {
  readonly requests: LifecycleRequest[];
  readonly ignored: Extract<MappingOutcome, { outcome: "ignored" }>[];
  readonly invalid: Extract<MappingOutcome, { outcome: "invalid" }>[];
}

/** Maps every record of one delivery; the route starts one execution per request, named from its deliveryId. */
export function mapDelivery(
  provider: CrmProvider,
  mapping: ProviderMapping,
  records: readonly ProviderRecord[],
  receivedAt: Date,
): MappedDelivery {
  const mapped: MappedDelivery = { requests: [], ignored: [], invalid: [] };
  for (const record of records) {
    const outcome = mapRecord(provider, mapping, record, receivedAt);
    if (outcome.outcome === "request") mapped.requests.push(outcome.request);
    else if (outcome.outcome === "ignored") mapped.ignored.push(outcome);
    else mapped.invalid.push(outcome);
  }
  return mapped;
}
