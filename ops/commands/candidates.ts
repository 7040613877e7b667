// `ops candidates [--run <runId>]`: the lost-POST candidates of the latest finished reconciliation (or a named
// one) with their evidence — the day the portal dates them and the create attempts whose lost answers they may
// be — and what an operator decided for each since. Masked keys only.

import type { RunCandidate } from "../../functions/practice/candidate-keys.js";
import { readRunCandidates } from "../../functions/practice/candidate-keys.js";
import { candidateRun, describeAttempts, shownCandidate, tableOf } from "../candidate-keys.js";
import type { CommandContext } from "../context.js";
import { EXIT, type ExitCode } from "../errors.js";

function decisionText(candidate: RunCandidate): string {
  const { decision } = candidate;
  if (decision.kind === "adopted") return `adopted for ${decision.practiceId} (${decision.origin})`;
  if (decision.kind === "released")
    return `released by ${decision.release.releasedBy} at ${decision.release.releasedAt}`;
  return "undecided";
}

function candidateDocument(candidate: RunCandidate) {
  return {
    maskedKey: shownCandidate(candidate),
    dateCreated: candidate.dateCreated,
    attempts: candidate.attemptIds.map((id) => {
      const at = id.indexOf("#");
      return { practiceId: id.slice(0, at), executionName: id.slice(at + 1) };
    }),
    decision:
      candidate.decision.kind === "released"
        ? { kind: "released", ...candidate.decision.release }
        : candidate.decision,
  };
}

export async function candidates(context: CommandContext, options: { run?: string }): Promise<ExitCode> {
  const runId = await candidateRun(context.target, options.run);
  const listed = await readRunCandidates(tableOf(context.target), runId);
  context.printJson({ command: "candidates", runId, candidates: listed.map(candidateDocument) });
  if (listed.length === 0) {
    context.print(`Run ${runId} found no lost-POST candidates.`);
    return EXIT.ok;
  }
  context.print(
    `Lost-POST candidates of run ${runId}: enabled, unlabeled, never installed keys outside the ledger, dated near a create attempt whose answer was lost.`,
  );
  const rows = listed.map((c) => [
    shownCandidate(c),
    c.dateCreated ?? "-",
    decisionText(c),
    describeAttempts(c.attemptIds),
  ]);
  const header = ["KEY", "CREATED", "DECISION", "LOST POST OF"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  for (const row of [header, ...rows])
    context.print(`  ${row.map((cell, i) => cell.padEnd(widths[i]!)).join("  ")}`.trimEnd());
  context.print(
    [
      "Decide each one (as a key administrator):",
      `  ours:     ${context.opsCommand("adopt-key '<KEY>' --practice <practiceId>")}   (disabled by the next reconcile --repair)`,
      `  not ours: ${context.opsCommand(`release-key '<KEY>' --reason "<why>"`)}   (never touched by a repair)`,
    ].join("\n"),
  );
  return EXIT.ok;
}
