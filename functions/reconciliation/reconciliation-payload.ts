// The Task payload every reconciliation step after the first receives: `$.run` and `$.progress` (and, on the
// failure path, `$.error`). Validated so a hand-edited redrive or a definition change fails clearly.
import * as z from "zod/mini";
import type { Progress, RunState } from "./reconciliation-state.js";

const runSchema = z.object({
  runId: z.string().check(z.minLength(1)),
  repair: z.boolean(),
  graceMinutes: z.number(),
  notYetAssignedDays: z.number(),
  startedAt: z.string(),
});

const progressSchema = z.object({
  chunk: z.number(),
  counts: z.record(z.string(), z.number()),
  keys: z.object({
    nextOffset: z.number(),
    listed: z.number(),
    pages: z.number(),
    done: z.boolean(),
    lastFullPage: z.optional(z.string()),
  }),
  practices: z.object({
    status: z.number(),
    after: z.nullable(z.string()),
    checked: z.number(),
    done: z.boolean(),
  }),
  candidates: z.object({
    count: z.number(),
    verdict: z.enum(["pending", "none", "ours", "foreign"]),
    after: z.nullable(z.string()),
    done: z.boolean(),
  }),
  repairs: z.object({
    planned: z.number(),
    done: z.number(),
    skipped: z.number(),
    failed: z.number(),
    deferred: z.number(),
    after: z.nullable(z.string()),
    finished: z.boolean(),
  }),
});

export const stepStateSchema = z.pipe(
  z.object({ run: runSchema, progress: progressSchema }),
  z.transform((value) => value as unknown as { run: RunState; progress: Progress }),
);

export const finishStateSchema = z.pipe(
  z.object({
    run: runSchema,
    progress: progressSchema,
    error: z.optional(z.object({ Error: z.optional(z.string()), Cause: z.optional(z.string()) })),
  }),
  z.transform(
    (value) =>
      value as unknown as {
        run: RunState;
        progress: Progress;
        error?: { Error?: string; Cause?: string };
      },
  ),
);
