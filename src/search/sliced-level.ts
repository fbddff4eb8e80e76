// A level searched in slices (--storage disk, its successors past memory: frontier-spill.ts):
// the level is read back from its file a slice of consecutive positions at a time; each slice
// is planned, expanded, settled and reported as a level of its own whose first state is the
// slice's (so positions, parents and the trace arrays' indices are the level's), and its new
// states are appended to the next level in order. What makes the whole the in-memory level:
// the depth is counted once; a violation that ends the search (no --all-properties) lets the
// later slices report only deadlocks and count nothing (level-report.ts), as the rest of a
// level after such a violation; at the depth bound every slice is looked at for deadlocks;
// the --max-states cut ends the level at its slice.
import type { CheckResult } from '../explore/result.ts';
import type { NeedsImmutable } from './level-options.ts';
import type { CandidateBlock } from './protocol.ts';
import type { SearchState } from './search-state.ts';
import type { SettledLevel } from './settle-level.ts';
import { levelBlocks } from './frontier-file.ts';
import type { FrontierSpill } from './frontier-spill.ts';

/**
 * Searches the level in `s` slice by slice with `part` (which searches the level `s.level`,
 * `s.levelStart`, `s.levelSize` say), then makes the next level with `advance`. Returns
 * 'next', 'last' (the search ends with the figures so far), or the search's result.
 */
export async function searchSlices(
  s: SearchState,
  spill: FrontierSpill,
  part: () => Promise<SettledLevel | 'last' | CheckResult | NeedsImmutable>,
  advance: (blocks: CandidateBlock[], newStates: number) => void,
): Promise<'next' | 'last' | CheckResult | NeedsImmutable> {
  const room = spill.room(s);
  const file = spill.takeLevel(s.level, s.levelSize, s.levelCodec());
  const start = s.levelStart;
  const total = s.levelSize;
  const depth = s.depth;
  s.peakFrontier = Math.max(s.peakFrontier, total);
  s.level = [];
  const next = spill.nextLevel(room / 2);
  let deeper = false;
  let finished = false;
  try {
    while (file.left > 0) {
      const n = spill.sliceStates(s, room, file);
      s.levelStart = start + (total - file.left);
      const slice = file.read(n);
      s.level = levelBlocks(slice, s.levelCodec());
      s.levelSize = slice.count;
      s.depth = depth;
      spill.slices++;
      const r = await part();
      if (s.depth > depth) deeper = true;
      if (r === 'last') {
        // At the depth bound the other slices are still looked at for deadlocks.
        if (s.limit === 'max-depth') continue;
        return 'last';
      }
      if ('status' in r) return r;
      next.add(r.blocks, r.newStates, s.levelCodec());
      // --max-states: nothing after its cut counts.
      if (s.limit !== undefined) break;
    }
    finished = true;
  } finally {
    spill.done(file);
    if (!finished) next.drop();
  }
  s.depth = depth + (deeper ? 1 : 0);
  s.levelStart = start;
  s.levelSize = total;
  if (s.limit === 'max-depth') return 'last';
  const made = next.finish(s.levelCodec());
  spill.levelFile = made.file;
  advance(made.blocks, next.count);
  return 'next';
}
