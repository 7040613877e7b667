// Renders bench/results.json as the markdown tables of bench/results.md (and the terminal).
import type { BenchmarkResults } from "./benchmark-results.js";
import type { CostBreakdown } from "./cost-model.js";
import type { WorkflowCounts } from "./happy-path.js";

const usd = (value: number) => `$${value < 0.01 ? value.toFixed(5) : value.toFixed(4)}`;
const ms = (value: number) => `${Math.round(value)} ms`;

function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

function dynamoDbCell(counts: WorkflowCounts): string {
  const d = counts.dynamoDb;
  const operations = Object.entries(d.requestsByOperation)
    .map(([operation, n]) => `${n} ${operation}`)
    .join(", ");
  return `${d.readRequests} reads / ${d.writeRequests} writes (${d.itemsWritten} items written; ${operations})`;
}

function costTable(cost: CostBreakdown): string {
  return table(
    ["Service", "Per run (counted)", "USD per 1,000"],
    [
      ...cost.lines.map((line) => [line.service, line.perRun, usd(line.usdPer1000)]),
      ["**Total**", "", `**${usd(cost.totalUsdPer1000)}**`],
    ],
  );
}

export function renderMarkdown(results: BenchmarkResults): string {
  const parts: string[] = [
    "# Benchmark results",
    "",
    `Generated ${results.generatedAt} by \`npm run bench\` (${results.config.name} configuration) on ${results.machine.cpus} × ${results.machine.cpu}, Node ${results.machine.node}. Local stack: the synthesized state machines on aws-local-stepfunctions, DynamoDB Local, the portal simulator; every request counted on the wire by recording proxies. Machine load (1-min average, start→end of each phase): ${
      Object.entries(results.load)
        .map(([phase, { start, end }]) => `${phase} ${start.toFixed(1)}→${end.toFixed(1)}`)
        .join(", ") || "not recorded"
    }.`,
    "",
  ];
  const happy = results.happyPath;
  if (happy) {
    const on = happy.onboarding;
    const off = happy.offboarding;
    parts.push(
      `## 1. Per happy-path run (counted over ${on.runs} warm runs, PORTAL_MAX_RPS=${happy.portalMaxRps})`,
      "",
      table(
        ["", "Onboarding", "Offboarding"],
        [
          ["Portal calls (floor)", `${on.portalCalls} (2)`, `${off.portalCalls} (1)`],
          ["Portal requests", on.portalRequests.join(", "), off.portalRequests.join(", ")],
          [
            "State transitions (ASL path implies)",
            `${on.stateTransitions} (${happy.aslPath.onboarding.stateTransitions})`,
            `${off.stateTransitions} (${happy.aslPath.offboarding.stateTransitions})`,
          ],
          [
            "Lambda invocations (ASL path implies)",
            `${on.lambdaInvocations} tasks (${happy.aslPath.onboarding.lambdaInvocations}) + ${on.webhookInvocations} webhook`,
            `${off.lambdaInvocations} tasks (${happy.aslPath.offboarding.lambdaInvocations})`,
          ],
          ["DynamoDB requests", dynamoDbCell(on), dynamoDbCell(off)],
          [
            "DynamoDB request units",
            `${on.dynamoDb.readRequestUnits} RRU / ${on.dynamoDb.writeRequestUnits} WRU (${on.dynamoDb.failedConditionalWrites} failed conditional write)`,
            `${off.dynamoDb.readRequestUnits} RRU / ${off.dynamoDb.writeRequestUnits} WRU (${off.dynamoDb.failedConditionalWrites} failed conditional write)`,
          ],
          [
            "Secrets Manager calls: first run in a process / warm",
            `${happy.firstInProcess.onboarding.secretsManagerCalls} / ${on.secretsManagerCalls}`,
            `${happy.firstInProcess.offboarding.secretsManagerCalls} / ${off.secretsManagerCalls}`,
          ],
          ["Domain events published", String(on.domainEvents), String(off.domainEvents)],
          ["Handler log bytes (CloudWatch Logs)", String(on.logBytes), String(off.logBytes)],
          ["Largest state payload", `${on.largestPayloadBytes} B`, `${off.largestPayloadBytes} B`],
          [
            "Task durations, median",
            on.invocations.map((i) => `${i.stateName} ${ms(i.medianDurationMs)}`).join(", "),
            off.invocations.map((i) => `${i.stateName} ${ms(i.medianDurationMs)}`).join(", "),
          ],
          [
            "**AWS cost per 1,000**",
            `**${usd(happy.costPer1000.onboarding.totalUsdPer1000)}**`,
            `**${usd(happy.costPer1000.offboarding.totalUsdPer1000)}**`,
          ],
        ],
      ),
      "",
      `At the default PORTAL_MAX_RPS=1, LabelKey's duration is mostly the wait for its portal slot (the limiter keeps calls ≥ 1.1 s apart, and the PUT follows the POST at once); that wait is billed Lambda time, included above. ${on.dynamoDb.failedConditionalWrites} of the onboarding's writes is the limiter's "is the budget idle?" update that fails when a slot is still reserved (DynamoDB bills it 1 WRU).`,
      "",
      on.variesAcrossRuns.length + off.variesAcrossRuns.length > 0
        ? `Counts that varied between runs: onboarding ${on.variesAcrossRuns.join(", ") || "none"}; offboarding ${off.variesAcrossRuns.join(", ") || "none"}.\n`
        : "Every count was identical in every run.\n",
      "### Cost per 1,000 onboardings",
      "",
      costTable(happy.costPer1000.onboarding),
      "",
      "### Cost per 1,000 offboardings",
      "",
      costTable(happy.costPer1000.offboarding),
      "",
      `Formula: \`${happy.costPer1000.onboarding.formula}\` — T state transitions, n invocations of each Task with median duration d and memory M (${happy.webhookFunction.architecture}, from the template), W webhook requests, S Secrets Manager calls (the first run in a process: warm containers reuse the cached secret for 5 minutes), E events, L log bytes. Prices: ${results.prices.region}, checked ${results.prices.checkedOn}; sources in results.json.`,
      "",
    );
  }
  if (results.latency) {
    parts.push(
      `## 2. End-to-end latency of one onboarding (webhook → execution end, PORTAL_MAX_RPS=${results.latency.portalMaxRps})`,
      "",
      table(
        ["Portal latency", "Runs", "Onboarding median", "p95", "Floor median", "p95", "Ratio to floor"],
        results.latency.results.map((r) => [
          `${r.portalLatencyMs} ms`,
          String(r.onboardingMs.n),
          ms(r.onboardingMs.median),
          ms(r.onboardingMs.p95),
          ms(r.floorMs.median),
          ms(r.floorMs.p95),
          `${r.ratioToFloor}×`,
        ]),
      ),
      "",
      `Floor: the same ${results.latency.results[0]?.floorRequests ?? "?"} portal and DynamoDB requests the onboarding made, replayed in sequence from one script right after it (same proxies, renamed practice/execution/key; ${results.latency.results.reduce((sum, r) => sum + r.floorStatusMismatches, 0)} replayed requests answered differently, e.g. a rate-limiter condition). Most of the gap at 0 ms is deliberate: before each portal call the limiter reserves a slot at least 100 ms ahead (its lead, so the reservation's answer arrives before the slot), i.e. ≈ 2 × 100 ms per onboarding that the floor does not wait; the rest is four Lambda hand-offs on the local engine and the webhook.`,
      "",
    );
  }
  const tp = results.throughput;
  if (tp) {
    parts.push(
      "## 3. Throughput under the portal rate limit",
      "",
      table(
        [
          "Concurrent onboardings",
          "Succeeded",
          "Limit",
          "Portal calls",
          "Wall time",
          "Floor (calls / limit)",
          "Ratio",
          "429s",
          "Retried invocations",
        ],
        [
          [
            String(tp.onboardings),
            String(tp.succeeded),
            `${tp.portalMaxRps} req/s`,
            String(tp.portalCalls),
            `${tp.wallSeconds} s`,
            `${tp.floorSeconds} s`,
            `${tp.ratioToFloor}×`,
            String(tp.portal429s),
            String(tp.retriedInvocations),
          ],
        ],
      ),
      "",
      `Our limiter spaces portal calls ${tp.limiterIntervalMs} ms apart at ${tp.portalMaxRps} req/s (1000/R × 1.02 + 80 ms safety margin), so the limiter alone needs ${tp.limiterFloorSeconds} s for ${tp.portalCalls} calls (${(tp.limiterFloorSeconds / tp.floorSeconds).toFixed(2)}× the floor); at the default 1 req/s the same margin costs 1.10×. Most requests the portal saw in any second: ${tp.maxRequestsInAnySecond}.`,
      "",
    );
  }
  const recon = results.reconciliation;
  if (recon && recon.length > 0) {
    const rps = recon[0]!.portalMaxRps;
    parts.push(
      `## 4. Reconciliation (report-only) at scale (PORTAL_MAX_RPS=${rps})`,
      "",
      table(
        [
          "Portal keys",
          "Status",
          "Pages",
          "Wall time",
          `Paging floor at ${rps} req/s`,
          "Limiter floor (pages × spacing)",
          "Ratio to limiter floor",
          "Floor at 1 req/s (limiter)",
          "Peak RSS (baseline)",
          "Peak heap (baseline)",
          "Largest state payload",
          "Transitions / invocations",
          "RRU / WRU",
          "Cost per run",
        ],
        recon.map((r) => [
          r.keys.toLocaleString("en-US"),
          r.status,
          String(r.pages),
          `${r.wallSeconds} s`,
          `${r.floorSeconds} s`,
          `${r.limiterFloorSeconds} s`,
          `${r.ratioToLimiterFloor}×`,
          `${r.floorAt1RpsSeconds} s (${r.limiterFloorAt1RpsSeconds} s)`,
          `${r.memory.peakRssMb} MB (${r.memory.baselineRssMb})`,
          `${r.memory.peakHeapUsedMb} MB (${r.memory.baselineHeapUsedMb})`,
          `${r.largestStatePayloadBytes} B`,
          `${r.stateTransitions} / ${r.lambdaInvocations}`,
          `${r.dynamoDb.readRequestUnits} / ${r.dynamoDb.writeRequestUnits}`,
          usd(r.costPerRunUsd),
        ]),
      ),
      "",
      "Memory is this whole process (engine, handlers, the in-process portal simulator holding every key), sampled every 25 ms during the run; baseline is just before it. Transitions, invocations and request units are counted as for section 1; BatchGetItem reads of keys not in the table are billed at AWS's per-item minimum, which DynamoDB Local under-reports. The floor at the default 1 req/s is computed: pages ÷ 1 req/s, and pages × 1.1 s with the limiter's margin.",
      "",
    );
  }
  return `${parts.join("\n")}\n`;
}
