// The domain events (docs/events.md): their schema and how one is built and validated (domain-event.ts). There is
// no publisher here: every event is written to the table's outbox in the transaction of what it announces
// (outbox-message.ts, practice/outbox-writes.ts) and put on the bus by the stream's delivery function
// (outbox-stream-handler.ts), on AWS and in the local stack alike.
export * from "./domain-event.js";
