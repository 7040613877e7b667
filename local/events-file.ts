// Reads the local stack's domain events (`.local/events.jsonl`): one EventBridge envelope per line, as the local
// bus (local/event-bus/local-event-bus.ts) appends each entry the outbox delivery's PutEvents puts on it.
import { existsSync, readFileSync } from "node:fs";

/** One line of the events file. */
export interface PublishedEnvelope {
  readonly id: string;
  readonly "detail-type": string;
  readonly source: string;
  readonly time: string;
  readonly detail: Record<string, unknown> & { readonly executionName: string };
}

/** Every envelope in the file, oldest first; none when nothing was published yet. */
export function readEventsFile(file: string): PublishedEnvelope[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as PublishedEnvelope);
}
