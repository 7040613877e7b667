// Prints a chaos run's result: the figures as a table, then each invariant PASS/FAIL/SKIP with what failed.
import type { ChaosResult } from "./run-chaos.js";

function percent(rate: number | undefined): string {
  return `${Math.round((rate ?? 0) * 1000) / 10}%`;
}

function table(rows: readonly [string, string, string][]): string[] {
  const widths = [0, 1].map((col) => Math.max(...rows.map((r) => r[col]!.length)));
  return rows.map(([a, b, c]) => `  ${a.padEnd(widths[0]!)}  ${b.padEnd(widths[1]!)}  ${c}`);
}

export function describeRun(result: Pick<ChaosResult, "seed" | "options" | "outageAtMs">): string {
  const { options } = result;
  const f = options.faults;
  return (
    `${options.onboardings} onboardings · ${options.offboardings} offboardings · ` +
    `faults ${percent(f.errorRate)} 5xx, ${percent(f.throttleRate)} throttled, ${percent(f.commitThenDropRate)} commit-then-drop, ` +
    `${f.latencyMs ?? 0}–${(f.latencyMs ?? 0) + (f.latencyJitterMs ?? 0)} ms latency · ` +
    (options.outageMs > 0
      ? `${options.outageMs / 1000} s outage from ${(result.outageAtMs / 1000).toFixed(1)} s`
      : "no outage") +
    ` · ${options.forcedRejections} forced 400s` +
    ` · portal ${options.portalMaxRps} req/s · retry pause ${options.retryIntervalMs} ms`
  );
}

export function formatChaosReport(result: ChaosResult): string {
  const { figures } = result;
  const rows: [string, string, string][] = [["", "figure", "value"]];
  const section = (name: string, values: Readonly<Record<string, number>>) => {
    let first = true;
    for (const [key, value] of Object.entries(values).sort(([a], [b]) => a.localeCompare(b))) {
      rows.push([first ? name : "", key, String(value)]);
      first = false;
    }
    if (first && name) rows.push([name, "(none)", ""]);
  };
  rows.push(["run", "wall time", `${(result.wallMs / 1000).toFixed(1)} s`]);
  for (const [phase, ms] of Object.entries(result.phasesMs))
    rows.push(["", phase, `${(ms / 1000).toFixed(1)} s`]);
  section("deliveries", figures.deliveries);
  for (const [machine, byStatus] of Object.entries(figures.executions))
    section(`executions: ${machine}`, byStatus);
  rows.push(["retries", "total (Task attempts after the first)", String(figures.retries)]);
  section("", figures.retriesByError);
  section("compensations", figures.compensations);
  section("portal calls", figures.portal);
  section("portal faults", figures.portalFaults);
  section("keys", figures.keys);
  section("practices", figures.practices);
  rows.push(["secrets", "leaked in full", String(figures.leakedSecrets)]);
  rows.push(["reconciliation", result.reconciliation.ran ? "ran" : "skipped", result.reconciliation.note]);
  section("", figures.reconciliation);

  const lines = [
    "",
    `Chaos run — seed ${result.seed}`,
    `  ${describeRun(result)}`,
    "",
    ...table(rows),
    "",
    "Invariants",
  ];
  for (const invariant of result.invariants) {
    lines.push(
      `  ${invariant.status.padEnd(4)}  ${invariant.design.padEnd(9)}  ${invariant.title}${invariant.status === "FAIL" ? ` — ${invariant.count}` : ""}`,
    );
    if (invariant.status !== "PASS")
      for (const detail of invariant.details) lines.push(`                   · ${detail}`);
  }
  const failed = result.invariants.filter((i) => i.status === "FAIL");
  const skipped = result.invariants.filter((i) => i.status === "SKIP");
  lines.push(
    "",
    failed.length === 0
      ? `All ${result.invariants.length - skipped.length} checked invariants hold${skipped.length ? ` (${skipped.length} skipped)` : ""}.`
      : `${failed.length} invariant(s) FAILED: ${failed.map((i) => i.id).join(", ")}. Reproduce: npm run chaos -- --seed ${result.seed}`,
    "",
  );
  return lines.join("\n");
}
