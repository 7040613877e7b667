// docs/events.md is the integrators' contract: its examples must be events the publisher accepts and builds.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildDomainEvent, DOMAIN_EVENT_TYPES } from "../../../functions/domain-events/domain-events.js";

const doc = readFileSync(new URL("../../../docs/events.md", import.meta.url), "utf8");

/** The first JSON block under each `### \`<EventType>\`` heading. */
function examples(): Map<string, Record<string, unknown>> {
  const found = new Map<string, Record<string, unknown>>();
  for (const section of doc.split(/^### /m).slice(1)) {
    const type = /^`(\w+)`/.exec(section)?.[1];
    const json = /```json\n([\s\S]*?)```/.exec(section)?.[1];
    if (type && json) found.set(type, JSON.parse(json));
  }
  return found;
}

describe("docs/events.md", () => {
  it("has an example for every event type", () => {
    expect([...examples().keys()]).toEqual([...DOMAIN_EVENT_TYPES]);
  });

  it("shows examples the publisher builds exactly, but for the illustrative event ids", () => {
    for (const [type, example] of examples()) {
      const { schemaVersion: _version, eventId: _id, ...input } = example;

      const { detail } = buildDomainEvent({ type, ...input });

      expect({ ...detail, eventId: example.eventId }, type).toEqual(example);
    }
  });
});
