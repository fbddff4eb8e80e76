// The per-transition hook (SearchOptions.onTransition, --coverage) of the level search: once
// a level is settled, its states are decoded again on this thread, in level order, and the
// hook is called on every transition the search counted — those before the point where a
// bound or a violation stopped it — whatever thread expanded them. It sees what the
// sequential order saw, on any thread count.
import { LevelCursor } from './blocks.ts';
import type { Loaded } from './loaded.ts';
import { rangeBounds, type LevelRef, type RangeResult } from './protocol.ts';

/** A point in a level's (position, action) order: what comes before it counts. */
export interface StopPoint {
  readonly pos: number;
  readonly action: number;
}

/**
 * Calls `hook(state, action)` on each transition the ranges of `level` took before `stop`
 * (all of them without one): every action of a position, or the persistent subset taken
 * there. `ranges[r]` is range r's result; a range never expanded (a stopped level) is
 * undefined. Immutable values only.
 */
export function replayTransitions(L: Loaded, level: LevelRef, ranges: readonly (RangeResult | undefined)[], stop: StopPoint | undefined, hook: (state: unknown, action: unknown) => void): void {
  const cursor = new LevelCursor(level);
  for (let r = 0; r < ranges.length; r++) {
    const range = ranges[r];
    if (range === undefined) continue;
    const { from } = rangeBounds(level, r);
    const counts = range.actionCounts;
    if (counts.length > 0) cursor.seek(from);
    for (let k = 0; k < counts.length; k++, cursor.advance()) {
      const pos = from + k;
      if (stop !== undefined && pos > stop.pos) return;
      if (counts[k] === 0) continue;
      const state = L.codec.decode(cursor.bytes[cursor.segment], cursor.offset);
      const actions = L.model.actions(state);
      const subset = range.subsets?.get(pos);
      const taken = subset?.length ?? actions.length;
      for (let j = 0; j < taken; j++) {
        const i = subset !== undefined ? subset[j] : j;
        if (stop !== undefined && pos === stop.pos && i >= stop.action) break;
        hook(state, actions[i]);
      }
    }
  }
}
