// Reconciliation loop: list a few portal pages from the cursor and classify every key on them (the ledger and
// the practices they map to read in bulk); keys a practice may hold and lost-POST candidates go to the scratch;
// keys an office installed are recorded and announced (reconciliation-installations.ts).

import { createHash } from "node:crypto";
import type { Finding } from "../../contracts/reconciliation-findings.js";
import type { KeyFingerprint } from "../key-custody/key-fingerprint.js";
import { PortalResponseInvalid, PortalThrottled } from "../platform/errors.js";
import { PORTAL_PAGE_SIZE, type PortalClient } from "../portal/portal-types.js";
import type { KeyRelease } from "../practice/key-releases.js";
import type { LostKeyCandidate, SeenKey } from "../practice/reconciliation-scratch.js";
import { classifyPortalKey, type FingerprintedKey, type InstalledKey } from "./reconciliation-classify.js";
import { clock, limitsOf, need, type ReconciliationDeps } from "./reconciliation-deps.js";
import { noticeInstallation } from "./reconciliation-installations.js";
import { type Batch, type Progress, type StepState, withBatch, writeBatch } from "./reconciliation-state.js";

/** Lists up to `pagesPerInvocation` portal pages from the cursor and classifies every key on them. */
export async function scanPortalKeys(deps: ReconciliationDeps, state: StepState): Promise<Progress> {
  const portal = need(deps.portal, "a portal client");
  const limits = limitsOf(deps);
  const now = clock(deps);
  const started = now().getTime();
  const { run } = state;
  let progress = state.progress;
  const openAttempts = await deps.runs.listOpenAttempts();
  let installations = 0;
  for (let page = 0; page < limits.pagesPerInvocation && !progress.keys.done; page++) {
    if (page > 0 && now().getTime() - started > limits.timeBudgetMs) break;
    if (progress.keys.pages >= limits.maxPages) {
      throw new Error(
        `GET /apikeys kept returning full pages past ${limits.maxPages} pages; the portal may be ignoring Offset`,
      );
    }
    let listed: Awaited<ReturnType<PortalClient["listKeysPage"]>>;
    try {
      listed = await portal.listKeysPage(progress.keys.nextOffset);
    } catch (error) {
      // Keep what this invocation already did; the next one (or Step Functions' retry) carries on from here.
      if (error instanceof PortalThrottled && page > 0) break;
      throw error;
    }
    // Fingerprinted here, where the keys are first seen: the ledger and the seen-set are addressed by it (§4).
    const fingerprinted: FingerprintedKey[] = [];
    for (const key of listed.keys)
      fingerprinted.push({ ...key, keyFingerprint: await deps.runs.fingerprint(key.customerKey) });
    // The seed documents no paging: a portal ignoring Offset answers every page with the same keys. Stop at the
    // first repeat, before anything of it is written, instead of classifying it again up to maxPages times.
    const fullPage = listed.nextOffset === null ? undefined : pageDigest(fingerprinted);
    if (fullPage !== undefined && fullPage === progress.keys.lastFullPage) {
      throw new PortalResponseInvalid(
        `GET /apikeys?Offset=${progress.keys.nextOffset}&Limit=${PORTAL_PAGE_SIZE} repeated the ${listed.keys.length} keys ` +
          "of the page before it; the portal may be ignoring Offset, so the listing cannot be trusted",
      );
    }
    const ledger = await deps.runs.getLedger(fingerprinted.map((k) => k.keyFingerprint));
    const practices = await deps.runs.getPractices([...ledger.values()].map((entry) => entry.practiceId));
    const batch: Batch = { findings: [], repairs: [], deferred: 0 };
    const seen: Array<SeenKey & { keyFingerprint: KeyFingerprint }> = [];
    const candidates: LostKeyCandidate[] = [];
    const installed: InstalledKey[] = [];
    const at = now();
    for (const key of fingerprinted) {
      const entry = ledger.get(key.keyFingerprint);
      const result = classifyPortalKey(key, {
        ledger: entry,
        practice: entry ? practices.get(entry.practiceId) : undefined,
        openAttempts,
        params: run,
        now: at,
      });
      batch.findings.push(...result.findings);
      batch.repairs.push(...result.repairs);
      batch.deferred += result.deferred;
      if (result.seen) seen.push({ keyFingerprint: key.keyFingerprint, ...result.seen });
      if (result.candidate) candidates.push(result.candidate);
      if (result.installed) installed.push(result.installed);
    }
    // A key an operator released as not ours (`ops release-key`) is never a candidate again: plain FOREIGN.
    const released = await deps.runs.getReleasedKeys(candidates.map((c) => c.keyFingerprint));
    const undecided = candidates.filter((c) => !released.has(c.keyFingerprint));
    for (const release of released.values()) batch.findings.push(releasedFinding(release));
    const chunk = progress.chunk;
    await deps.runs.writeSeenKeys(run.runId, seen, at);
    if (undecided.length > 0) await deps.runs.writeCandidates(run.runId, chunk, undecided, at);
    await writeBatch(deps, run.runId, chunk, batch, at);
    for (const key of installed) {
      // Past the cap the key stays as it is: unrecorded (or unannounced), so a later run takes it up.
      if (installations++ >= limits.installationsPerInvocation) break;
      await noticeInstallation(deps, key, run.runId, at);
    }
    progress = {
      ...progress,
      ...withBatch(progress, batch),
      chunk: chunk + 1,
      keys: {
        nextOffset: listed.nextOffset ?? progress.keys.nextOffset + listed.keys.length,
        listed: progress.keys.listed + listed.keys.length,
        pages: progress.keys.pages + 1,
        done: listed.nextOffset === null,
        ...(fullPage === undefined ? {} : { lastFullPage: fullPage }),
      },
      candidates: { ...progress.candidates, count: progress.candidates.count + undecided.length },
    };
  }
  return progress;
}

function pageDigest(keys: readonly FingerprintedKey[]): string {
  const fingerprints = keys.map((key) => key.keyFingerprint).sort();
  return createHash("sha256").update(fingerprints.join("\n")).digest("hex");
}

function releasedFinding(release: KeyRelease): Finding {
  return {
    category: "UNMAPPED_KEY_FOREIGN",
    maskedKey: release.maskedKey,
    details: {
      released: true,
      releasedBy: release.releasedBy,
      releasedAt: release.releasedAt,
      reason: release.reason,
    },
  };
}
