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
          ["KMS calls (custody key)", String(on.kmsCalls), String(off.kmsCalls)],
          ["Domain events published", String(on.domainEvents), String(off.domainEvents)],
          [
            "Outbox delivery invocations (table stream)",
            String(on.outboxDelivery.invocations),
            String(off.outboxDelivery.invocations),
          ],
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
      `At the default PORTAL_MAX_RPS=1, LabelKeyAndRecordActive's duration is mostly the wait for its portal slot (the limiter keeps calls ≥ 1.08 s apart, and the PUT follows the POST at once); that wait is billed Lambda time, included above. Failed conditional writes: the limiter's "is the budget idle?" update when a slot is still reserved (DynamoDB bills it 1 WRU); a limiter that last saw the budget busy queues first and skips it. Request units are DynamoDB Local's ConsumedCapacity, raised to AWS's minimum where Local reports less: 2 WRU per item of a transaction (Local sized a 4-item one at 6).`,
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
      `Formula: \`${happy.costPer1000.onboarding.formula}\` — T state transitions, n invocations of each Task with median duration d and memory M (${happy.webhookFunction.architecture}, from the template), W webhook requests, D invocations of the outbox delivery function (the table stream's outbox item, one per run; its billed duration is taken as its PutEvents call's), S Secrets Manager calls (the first run in a process: warm containers reuse the cached secret for 5 minutes), K KMS requests on the custody key (Encrypt where a key arrives, Decrypt where one is sent), E events, L log bytes. Prices: ${results.prices.region}, checked ${results.prices.checkedOn}; sources in results.json.`,
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
      `Floor: the same ${results.latency.results[0]?.floorRequests ?? "?"} portal and DynamoDB requests the onboarding made, replayed in sequence from one script right after it (same proxies, renamed practice/execution/key; ${results.latency.results.reduce((sum, r) => sum + r.floorStatusMismatches, 0)} replayed requests answered differently, e.g. a rate-limiter condition). Before each portal call the limiter reserves a slot as far ahead as its reservation's measured round trip (DynamoDB Local: a few ms), so its caller sends as soon as it is answered; the gap left is the Lambda hand-offs on the local engine, the webhook and the outbox.`,
      "",
    );
  }
  const tp = results.throughput;
  if (tp && tp.length > 0) {
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
          "Limiter spacing (its floor)",
          "429s",
          "Most in any second",
          "Retried invocations",
        ],
        tp.map((run) => [
          String(run.onboardings),
          String(run.succeeded),
          `${run.portalMaxRps} req/s`,
          String(run.portalCalls),
          `${run.wallSeconds} s`,
          `${run.floorSeconds} s`,
          `${run.ratioToFloor}×`,
          `${run.limiterIntervalMs} ms (${(run.limiterFloorSeconds / run.floorSeconds).toFixed(2)}×)`,
          String(run.portal429s),
          String(run.maxRequestsInAnySecond),
          String(run.retriedInvocations),
        ]),
      ),
      "",
      "Every rate in a process of its own, after one uncounted warm-up onboarding (as sections 1 and 2: module loading and the first secret fetches are a cold process's). The simulator runs in a process of its own too, as the portal would, so the times it takes arrivals at are not skewed by the engine's busy thread and its work does not compete with it; it enforces the same limit with its exact sliding window (429 over it) and counts the calls. Here the handlers reach DynamoDB Local, KMS and the simulator directly, without the recording proxies of sections 1, 2 and 4 (on this one-threaded local stack each proxied request is a second HTTP hop on the engine's thread: 1.41× against 1.45× at 20 req/s, medians of two runs side by side). The limiter spaces calls 1000/R × 1.08 apart (rounded up to the ms): the portal counts arrivals in any sliding second, and only calls R slots apart can meet in one, so each second keeps 80 ms of room for arrival jitter at every rate — a quarter for a caller woken late (beyond that it gives its slot up), the rest for the request's way to the portal; a fresh HTTP client's first request, which can arrive up to 200 ms late, keeps the next caller that much further off, and calls started on that client meanwhile send after its answer. Its floor column is calls × spacing ÷ the floor. Wall time runs from the first webhook to the last execution's end, so it also holds the first onboarding's way to its first portal call and the last one's record. The deployed functions queue at most PORTAL_MAX_WAIT_MS = 50 s of slots; an onboarding refused a slot further away (PortalThrottled) comes back through Step Functions' rate-limit retry (25 retries from 10 s, ×1.5, capped at 60 s, full jitter: ~11 minutes on average), so 200 onboardings at 1 req/s — 400 s of budget — complete.",
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
      "Memory is this whole process (engine, handlers, the in-process portal simulator holding every key), sampled every 25 ms during the run; baseline is just before it. Transitions, invocations and request units are counted as for section 1; BatchGetItem reads of keys not in the table are billed at AWS's per-item minimum, which DynamoDB Local under-reports. The floor at the default 1 req/s is computed: pages ÷ 1 req/s, and pages × 1.08 s with the limiter's margin.",
      "",
    );
  }
  return `${parts.join("\n")}\n`;
}
