// The domain events one execution published, from the local sink's file.
import { readEventsFile } from "../../local/events-file.js";

export { readEventsFile as readPublishedEvents } from "../../local/events-file.js";

/** `[detail-type, detail]` of the events one execution published. */
export function eventsOfExecution(file: string, executionName: string): [string, Record<string, unknown>][] {
  return readEventsFile(file)
    .filter((event) => event.detail.executionName === executionName)
    .map((event) => [event["detail-type"], event.detail]);
}
