// Which footprint probes need not run again: a probe of a step (or an invariant) on a state
// that agrees, on every path the probe saw the code read, with a state already probed would
// read the same paths and assign the same ones (the code is deterministic; see first
// divergence in docs/reduce.md) — so its check would pass again. Kept per step, grouped by
// the set of paths read (few per step), with the values read as the key.
import { hash, is } from 'immutable';
import type { AccessProbe } from './access-probe.ts';

interface Group {
  /** The key texts of the paths read, sorted and joined: which group a probe belongs to. */
  readonly signature: string;
  /** The paths read, in that order. */
  readonly paths: readonly (readonly string[])[];
  /** Tuples of values read (the extra value first), by hash. */
  readonly tuples: Map<number, unknown[][]>;
}

/**
 * Probes already made, per step (or invariant) number.
 *
 * @example
 *   if (!memo.has(step, state, locals)) { const p = probe(); check(p); memo.add(step, state, locals, p); }
 */
export class ProbeMemo {
  private readonly groups = new Map<number, Group[]>();
  private readonly scratch: unknown[] = [];

  /** `valueAt(state, path)`: the value at an access path of a state (plain, not probed). */
  constructor(private readonly valueAt: (state: unknown, path: readonly string[]) => unknown) {}

  /** Forgets every probe (the footprints it was checked against changed). */
  clear(): void {
    this.groups.clear();
  }

  /**
   * True when step `id` was probed on a state agreeing with `state` on everything that probe
   * read, and on `extra` (what the code may read besides the probed state: the thread's
   * own locals).
   */
  has(id: number, state: unknown, extra: unknown): boolean {
    const groups = this.groups.get(id);
    if (groups === undefined) return false;
    for (const g of groups) {
      const t = this.tuple(g.paths, state, extra);
      const found = g.tuples.get(tupleHash(t));
      if (found !== undefined && found.some((u) => sameTuple(u, t))) return true;
    }
    return false;
  }

  /** Records the probe `probe` of step `id` on `state` (with `extra`). */
  add(id: number, state: unknown, extra: unknown, probe: AccessProbe): void {
    let groups = this.groups.get(id);
    if (groups === undefined) this.groups.set(id, (groups = []));
    const keys = [...probe.reads.keys()].sort();
    const signature = keys.join('\n');
    let g = groups.find((x) => x.signature === signature);
    if (g === undefined) {
      g = { signature, paths: keys.map((k) => probe.reads.get(k)!), tuples: new Map() };
      groups.push(g);
    }
    const t = [...this.tuple(g.paths, state, extra)];
    const h = tupleHash(t);
    const list = g.tuples.get(h);
    if (list === undefined) g.tuples.set(h, [t]);
    else if (!list.some((u) => sameTuple(u, t))) list.push(t);
  }

  private tuple(paths: readonly (readonly string[])[], state: unknown, extra: unknown): unknown[] {
    const t = this.scratch;
    t.length = 0;
    t.push(extra);
    for (const p of paths) t.push(this.valueAt(state, p));
    return t;
  }
}

function tupleHash(t: readonly unknown[]): number {
  let h = 17;
  for (const v of t) h = (Math.imul(h, 31) + hash(v)) | 0;
  return h;
}

function sameTuple(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!is(a[i], b[i])) return false;
  return true;
}
