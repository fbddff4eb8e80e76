// The expand phase of a level, as this thread coordinates it: room made in the seen set for
// the level's claims, the task sent to every thread of the level (this one takes ranges too),
// their results gathered by range, and the level redone when its claims ran out of room; then
// what the results say before the level is settled (the engine does not pay, a worker's model
// differs, the first failure in level order, the --max-states cut of a level expanded alone).
import { threadId } from 'node:worker_threads';
import { ModelError } from '../model/errors.ts';
import type { CheckResult } from '../explore/result.ts';
import { DirectDedupe, TableBudgetError } from './blocks.ts';
import { claimsBytes, newClaims, reuseClaims, type ClaimsRef } from './level-claims.ts';
import type { NeedsImmutable } from './level-options.ts';
import type { LevelPlan } from './level-plan.ts';
import { checkSamples } from './model-identity.ts';
import { expandPhase } from './participant.ts';
import type { ExpandResult, ExpandTask, RangeResult } from './protocol.ts';
import { fulfilled, participants, type SearchPool } from './search-pool.ts';
import { sumMemo, type SearchState } from './search-state.ts';
import { GROWTH, GrowingSeenSet, MAX_LOAD, type GrowableRef } from './shared-seen-set.ts';
import type { StopPoint } from './transition-hook.ts';

/** A level expanded: every thread's results, range by range. */
export interface ExpandedLevel {
  readonly results: readonly ExpandResult[];
  /** Range r's result (undefined: a range no thread reached, the level having stopped). */
  readonly byRange: readonly (RangeResult | undefined)[];
  /** The claims the level was expanded with (level-claims.ts), if any. */
  readonly claims?: ClaimsRef;
  /** Times it was expanded (more than 1: its claims ran out of room and it was redone). */
  readonly attempts: number;
  readonly growMs: number;
}

/** Expands the level on the plan's threads (redone, with twice the room or no claims, until its claims hold it). */
export async function expandLevel(s: SearchState, pool: SearchPool, plan: LevelPlan, pause: () => Promise<void> | undefined): Promise<ExpandedLevel> {
  // Several threads insert at once with claims (level-claims.ts), unless a level is too
  // wide for them (then every successor waits for the insert phase), or partial-order
  // reduction's cycle proviso must read the seen set as it was before the level.
  let useClaims = plan.shared && plan.claimsFit;
  let growMs = 0;
  for (let attempt = 0; ; attempt++) {
    let claims: ClaimsRef | undefined;
    if (useClaims) {
      const t = performance.now();
      claims = await makeRoomForClaims(s, pool, plan, attempt);
      growMs += performance.now() - t;
      if (claims === undefined) {
        // More new states than a slot can number entries for: this level and the ones after
        // it go without claims.
        useClaims = false;
        s.claimsTooNarrow = true;
      }
    }
    const results = await expandOnThreads(s, pool, plan, expandTask(s, plan, attempt, claims), pause);
    const byRange = gather(s, results, plan.level.starts.length - 1);
    if (claims !== undefined) {
      for (const r of results) r.inserted!.forEach((n, p) => (s.parts[p].count += n));
      if (results.some((r) => r.overflow)) {
        // More new states than room, or a claim too wide: take this level's insertions out of
        // the seen set (its claimed slots) and redo it (with twice the room, or without claims).
        for (const part of s.parts) part.rebuildWithoutClaimed(part.table.capacity);
        if (results.some((r) => r.wide)) {
          // A state with more than 256 steps: later levels would only meet it again.
          useClaims = false;
          s.claimsTooNarrow = true;
        }
        continue;
      }
    }
    return { results, byRange, claims, attempts: attempt + 1, growMs };
  }
}

/**
 * Grows the seen set's partitions for the level's claims — room for at least `least` new
 * states, and `factor` times the last level's new states per state, doubled on each attempt
 * — and returns the claim entries (none when a slot cannot number that many).
 */
async function makeRoomForClaims(s: SearchState, pool: SearchPool, plan: LevelPlan, attempt: number): Promise<ClaimsRef | undefined> {
  const { parts } = s;
  const claimsRoom = s.options.claimsRoom ?? { least: 4096, factor: 1.5 };
  const room = Math.max(claimsRoom.least, Math.ceil(s.levelSize * Math.max(1, s.lastRatio) * claimsRoom.factor)) * 2 ** attempt;
  // Each partition's share of that room (keys spread evenly over the partitions; the claims
  // count each partition's insertions, so an uneven level is redone, never overfilled);
  // partitions grow at once, one per thread.
  const partRoom = Math.ceil((room / parts.length) * 1.1);
  const caps = parts.map((part) => {
    const need = Math.ceil((part.count + partRoom) / MAX_LOAD);
    return need <= part.table.capacity ? 0 : Math.max(need, Math.ceil(part.table.capacity * GROWTH));
  });
  // Weighed before it is allocated: the new tables beside the old ones, and the claims.
  const growBytes = caps.reduce((n, cap) => n + cap * 8, 0);
  if (!s.budget.fits(growBytes + claimsBytes(partRoom, parts.length))) {
    throw new TableBudgetError(`the seen set's growth for the next level (${(growBytes / 2 ** 20).toFixed(0)} MiB) would pass the budget`);
  }
  // The first partition that must grow grows here, the others on the pool's threads (all
  // here while they may not be ready).
  const here: (() => void)[] = [];
  const grows: Promise<void>[] = [];
  parts.forEach((part, p) => {
    const cap = caps[p];
    if (cap === 0) return;
    if (here.length === 0 || plan.joinable) here.push(() => part.growAlone(cap));
    else grows.push(pool.run<GrowableRef>({ kind: 'grow', table: part.ref, capacity: cap }).then((ref) => void (parts[p] = GrowingSeenSet.fromRef(ref))));
  });
  for (const grow of here) grow();
  await Promise.all(grows);
  const claims = (s.claimsBuffer !== undefined ? reuseClaims(s.claimsBuffer, partRoom, parts.length) : null) ?? newClaims(partRoom, parts.length) ?? undefined;
  s.claimsHeld = claims;
  if (claims !== undefined) s.claimsBuffer = claims;
  return claims;
}

/** The expand task every thread of the level runs. */
function expandTask(s: SearchState, plan: LevelPlan, attempt: number, claims: ClaimsRef | undefined): ExpandTask {
  return {
    kind: 'expand',
    source: s.source,
    search: s.searchId,
    descriptors: s.descriptors,
    strings: s.strings,
    tables: s.parts.map((p) => p.table.ref),
    level: plan.level,
    expansion: s.expansions,
    counter: new SharedArrayBuffer(4),
    levelId: `${s.searchId}:${s.levelStart}:${attempt}`,
    expand: plan.expand,
    skip: [...s.violated],
    control: s.stopRequest.buffer,
    sample: s.options.checkWorkerSample ?? true,
    ...(s.liveness !== undefined ? { graph: true } : {}),
    ...(claims !== undefined ? { claims } : {}),
    ...(plan.joinable ? { join: new SharedArrayBuffer(4) } : {}),
  };
}

/** Runs the task on the level's threads, this one included; this thread's result first. */
async function expandOnThreads(s: SearchState, pool: SearchPool, plan: LevelPlan, task: ExpandTask, pause: () => Promise<void> | undefined): Promise<ExpandResult[]> {
  const others = plan.shared ? pool.runOnOthers<ExpandResult>(task) : [];
  const { options } = s;
  // With keys archived (--storage disk | bitstate) a level's new states are known only once
  // looked up there: the --max-states cut is then taken when the level is reported.
  const direct = plan.direct ? new DirectDedupe(s.parts, MAX_LOAD, GROWTH, s.tableRoom(), options.maxStates !== undefined && (s.storage?.archived ?? 0) === 0 ? options.maxStates - s.distinct : Infinity) : undefined;
  let mine: ExpandResult;
  let theirs: PromiseSettledResult<ExpandResult>[];
  try {
    mine = await expandPhase(s.main, task, direct, pause);
  } finally {
    // Let the other threads finish before anything else touches the level.
    theirs = await participants(others, task.join);
  }
  return [mine, ...fulfilled(theirs)];
}

/** The results by range, with what the threads learned (Record descriptors, hashed strings, their heaps). */
function gather(s: SearchState, results: readonly ExpandResult[], ranges: number): (RangeResult | undefined)[] {
  const byRange: (RangeResult | undefined)[] = new Array(ranges);
  for (const r of results) {
    if (r.heapBytes !== undefined && r.thread !== threadId) s.workerHeaps.set(r.thread, r.heapBytes);
    for (const x of r.ranges) byRange[x.range] = x;
    for (const d of r.descriptors) if (!s.descriptors.includes(d)) s.descriptors.push(d);
    if (r.strings.length > 0) {
      s.main.vector!.learnStrings(r.strings);
      for (const x of r.strings) if (!s.strings.includes(x)) s.strings.push(x);
    }
  }
  return byRange;
}

/** A level's ranges ready to settle, up to the --max-states cut of a level expanded alone. */
export interface ExpandedRanges {
  readonly ranges: readonly RangeResult[];
  readonly cut?: StopPoint;
  /** Time spent checking the workers' sample of the level. */
  readonly checkMs: number;
}

/**
 * What the expanded level says before it is settled: the vector engine does not pay, a
 * worker's model behaves differently, a range failed (the first in level order: every range
 * before it was expanded) or was stopped — else its ranges.
 */
export function expandedRanges(s: SearchState, plan: LevelPlan, expanded: ExpandedLevel): ExpandedRanges | CheckResult | NeedsImmutable | 'stopped' {
  const { results } = expanded;
  s.noteMemo(results);
  s.statesExpanded += s.levelSize;
  const slow = s.payoff?.verdict(sumMemo(s.memo), s.statesExpanded) ?? null;
  if (slow !== null) return { status: 'needs-immutable', reason: slow, slow: true };
  let checkMs = 0;
  // The workers' sample of this level, computed again here (model-identity.ts).
  if (results.length > 1) {
    const tc = performance.now();
    const differs = checkSamples(s.main, plan.level, s.depth, results.slice(1).flatMap((r) => r.ranges));
    checkMs = performance.now() - tc;
    if (differs !== null) return s.errorResult(new ModelError({ model: s.model.name }, differs).message);
  }
  // A level expanded alone ends at the transition past --max-states: the ranges up to it.
  let byRange = expanded.byRange;
  const cutRange = byRange.findIndex((r) => r?.cut !== undefined);
  if (cutRange >= 0) byRange = byRange.slice(0, cutRange + 1);
  // FIXME: an error past the --max-states cut of a level not expanded direct is reported (the
  // cut is known only once the level is settled; see level-search.ts).
  const firstBad = byRange.find((r) => r === undefined || r.error !== undefined || r.notVectorizable !== undefined || r.stopped);
  if (firstBad === undefined) return { ranges: byRange as RangeResult[], cut: cutRange >= 0 ? byRange[cutRange]!.cut : undefined, checkMs };
  if (firstBad.notVectorizable !== undefined) return { status: 'needs-immutable', reason: firstBad.notVectorizable };
  if (firstBad.error !== undefined) return s.errorResult(firstBad.error.message, firstBad.error.stack);
  return 'stopped';
}
