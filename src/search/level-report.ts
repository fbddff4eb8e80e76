// The report phase of a level: its violations and figures in the sequential search's order.
// Violations are taken by (position, action), a transition's before an invariant's, under
// the rules of a breadth-first search on one thread: the first violation of each property,
// the rest of the level only for deadlocks (shorter), nothing past --max-states' cut. The
// figures count what comes before the point where such a search stopped.
import type { ExpandedRanges } from './expand-level.ts';
import type { LevelPlan } from './level-plan.ts';
import { rangeBounds, type CandidateBlock, type LevelRef, type RangeResult, type WorkerEvent } from './protocol.ts';
import type { SearchState, ViolationAt } from './search-state.ts';
import type { SettledLevel } from './settle-level.ts';
import { replayTransitions, type StopPoint } from './transition-hook.ts';

/**
 * Records the level's violations and adds its figures (transitions, new states, depth) to
 * the search's; sets the limit reached (--max-states, --max-depth). Returns false when the
 * depth bound left states unexplored: the search ends without counting this level as a level.
 */
export function reportLevel(s: SearchState, plan: LevelPlan, expanded: ExpandedRanges, settled: SettledLevel): boolean {
  const { options } = s;
  const { blocks, newStates } = settled;
  // A slice after one whose violation ended the search (sliced-level.ts): its deadlocks only.
  const stoppedBefore = s.stopAfterLevel;
  const nextStart = s.traces.size;
  s.traces.addLevelFromBlocks(blocks, newStates, s.levelStart);
  // --max-states N stores at most N states: the transition that finds an (N+1)-th ends the
  // search, as in the sequential search; nothing from it on counts.
  const cut = expanded.cut ?? (options.maxStates !== undefined ? cutPoint(blocks, s.levelStart, options.maxStates - s.distinct) : undefined);
  // The state graph of a level cut short is never checked (liveness needs every state).
  if (cut === undefined) s.liveness?.level(blocks, expanded.ranges);
  const stopPos = recordViolations(s, expanded.ranges, settled, cut, nextStart, stoppedBefore);
  // Figures: the whole level, or (stopped by a violation, which lets its state's expansion
  // finish, or by --max-states) what comes before the point where the sequential search stopped.
  let stop: StopPoint | undefined = stoppedBefore ? { pos: 0, action: 0 } : stopPos >= 0 ? { pos: stopPos + 1, action: 0 } : undefined;
  if (cut !== undefined && (stop === undefined || precedes(cut.pos, cut.action, stop))) stop = cut;
  const { ranges } = expanded;
  let levelTransitions = ranges.reduce((t, r) => t + r.transitions, 0);
  let levelNew = newStates;
  if (stop !== undefined) {
    levelTransitions = plan.expand ? transitionsBefore(ranges, plan.level, stop) : 0;
    levelNew = 0;
    for (let b = 0; b < blocks.length; b++) {
      const { parents, actions } = blocks[b];
      for (let k = 0; k < blocks[b].count; k++) if (isWinner(blocks[b], k) && precedes(parents[k] - s.levelStart, actions[k], stop)) levelNew++;
    }
  }
  s.transitions += levelTransitions;
  if (options.onTransition !== undefined && plan.expand) replayTransitions(s.main, plan.level, ranges, stop, options.onTransition);
  // States stored past the stopping point are not counted: the sequential search never made them.
  s.distinct += levelNew;
  // At the depth bound, a state with successors before the stopping point means unexplored states.
  if (!plan.expand && ranges.some((r, t) => r.actionCounts.some((c, k) => c > 0 && (stop === undefined || rangeBounds(plan.level, t).from + k < stop.pos)))) {
    s.stopWith('max-depth', `max depth ${options.maxDepth} reached`);
    return false;
  }
  if (levelNew > 0) s.depth++;
  if (cut !== undefined) s.stopWith('max-states', `max states ${options.maxStates} reached`);
  return true;
}

/**
 * Records the level's violations in order (see the file header); returns the position of
 * the state whose violation ends the search with this level, or -1. `nextStart` is the global
 * index of the level's first new state; `stoppedBefore`: a violation before this slice of the
 * level ended the search (only deadlocks are recorded).
 */
function recordViolations(s: SearchState, ranges: readonly RangeResult[], settled: SettledLevel, cut: StopPoint | undefined, nextStart: number, stoppedBefore: boolean): number {
  const { blocks, perBlock } = settled;
  const events: { ev: WorkerEvent; block: number }[] = [];
  ranges.forEach((r, b) => r.events.forEach((ev) => events.push({ ev, block: b })));
  for (const ev of settled.insertEvents) events.push({ ev, block: ev.range! });
  events.sort((x, y) => x.ev.pos - y.ev.pos || x.ev.action - y.ev.action || kindOrder(x.ev) - kindOrder(y.ev));
  // Global index of a winning candidate, once the level's trace arrays are added.
  const indexOf = (block: number, c: number): number => {
    let idx = nextStart;
    for (let b = 0; b < block; b++) idx += perBlock[b];
    if (blocks[block].winners === blocks[block].count) return idx + c;
    const flags = blocks[block].flags;
    for (let k = 0; k < c; k++) idx += flags[k];
    return idx;
  };
  const { model, traces, keyOf } = s;
  let stopPos = -1;
  for (const { ev, block } of events) {
    if (cut !== undefined && !precedes(ev.pos, ev.action, cut)) continue;
    if (s.violated.has(ev.property)) continue;
    if (ev.kind === 'invariant' && !isWinner(blocks[block], ev.candidate)) continue;
    if ((stoppedBefore || (stopPos >= 0 && ev.pos > stopPos)) && ev.kind !== 'deadlock') continue;
    const parent = s.levelStart + ev.pos;
    const last = { hi: ev.hi, lo: ev.lo };
    const at: ViolationAt = ev.kind === 'deadlock' ? { index: parent, last } : ev.kind === 'transition' ? { index: parent, extraAction: ev.action } : { index: indexOf(block, ev.candidate), last };
    const trace = traces.traceTo(model, at.index, at.extraAction, at.last, keyOf);
    s.record({ property: ev.property, kind: ev.kind, message: ev.message, trace }, at);
    if (s.stopAfterLevel && stopPos < 0) stopPos = ev.pos;
  }
  return stopPos;
}

/** Candidate `c` of the block is one of the level's new states. */
function isWinner(block: CandidateBlock, c: number): boolean {
  return block.winners === block.count || block.flags[c] === 1;
}

/** True when (pos, action) comes before `p` in the level's order. */
function precedes(pos: number, action: number, p: StopPoint): boolean {
  return pos < p.pos || (pos === p.pos && action < p.action);
}

/**
 * The (position, action) that found the level's new state number `room + 1` (in canonical
 * order: blocks in order, winners in order), or undefined when the level has no more than
 * `room` new states.
 */
function cutPoint(blocks: readonly CandidateBlock[], levelStart: number, room: number): StopPoint | undefined {
  let n = 0;
  for (const b of blocks) {
    const all = b.winners === b.count;
    if (all && n + b.count <= room) {
      n += b.count;
      continue;
    }
    for (let k = 0; k < b.count; k++) {
      if (!all && b.flags[k] !== 1) continue;
      if (++n > room) return { pos: b.parents[k] - levelStart, action: b.actions[k] };
    }
  }
  return undefined;
}

/**
 * Transitions the level's ranges took before `stop`: every transition of the positions
 * before it, and those of its position with a smaller action index (all of them up to it, or,
 * where partial-order reduction took a subset, the subset's).
 */
function transitionsBefore(ranges: readonly RangeResult[], level: LevelRef, stop: StopPoint): number {
  let n = 0;
  for (let t = 0; t < ranges.length; t++) {
    const { from } = rangeBounds(level, t);
    const counts = ranges[t].actionCounts;
    for (let k = 0; k < counts.length && from + k < stop.pos; k++) n += counts[k];
    if (stop.action > 0 && from <= stop.pos && stop.pos < from + counts.length) {
      const subset = ranges[t].subsets?.get(stop.pos);
      n += subset !== undefined ? subset.filter((i) => i < stop.action).length : Math.min(stop.action, counts[stop.pos - from]);
    }
  }
  return n;
}

function kindOrder(ev: WorkerEvent): number {
  return ev.kind === 'invariant' ? 1 : 0;
}
