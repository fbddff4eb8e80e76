// Models that keep their data in Lists against the same data in flat Record fields, for
// bench/element-tracking.ts: how the vector engine's memo copes with a step that reads or
// sets one element of a List (dining philosophers whose forks are a List; counters updated
// with `set(i)`; counters whose steps each read the sum of all, where no tracking helps and
// `auto` should leave the vector engine). Each pair has the same state space; only the shape
// of the shared state differs.
import { List, Record } from 'immutable';
import { threadModel, type Model, type Step } from '../src/index.ts';

/** 'list': the data is one List field; 'flat': one Record field per element. */
export type Layout = 'list' | 'flat';

/** Reads and writes element `i` of the shared state, whichever its layout. */
interface Access<S> {
  get(s: S, i: number): number;
  set(s: S, i: number, v: number): S;
}

/** The shared state of `n` elements all `init`, as one List field or `n` fields, with its accessors. */
function elements(layout: Layout, n: number, init: number): { shared: unknown; access: Access<any> } {
  if (layout === 'list') {
    const Shared = Record({ items: List<number>() }, 'ListShared');
    return {
      shared: Shared({ items: List(Array.from({ length: n }, () => init)) }),
      access: {
        get: (s: ReturnType<typeof Shared>, i) => s.items.get(i)!,
        set: (s: ReturnType<typeof Shared>, i, v) => s.set('items', s.items.set(i, v)),
      },
    };
  }
  const keys = Array.from({ length: n }, (_, i) => `e${i}`);
  const Shared = Record(Object.fromEntries(keys.map((k) => [k, init])) as { [k: string]: number }, 'FlatShared');
  return {
    shared: Shared(),
    access: {
      get: (s: any, i) => s.get(keys[i]) as number,
      set: (s: any, i, v) => s.set(keys[i], v),
    },
  };
}

/**
 * Dining philosophers whose forks are shared data (-1 free, else the holder), not DSL locks:
 * philosopher i waits for its left fork, then its right one (`ordered`: the last one takes
 * fork 0 first, so no deadlock), eats, and puts both back, `rounds` times.
 */
export function forksModel(layout: Layout, n: number, rounds: number): Model<any, number> {
  const { shared, access } = elements(layout, n, -1);
  return threadModel<any>({
    name: `forks-${layout}(${n}, ${rounds})`,
    shared,
    threads: Array.from({ length: n }, (_, i) => {
      const left = i;
      const right = (i + 1) % n;
      const [first, second] = right < left ? [right, left] : [left, right];
      const steps: Step<any, number>[] = [
        { label: 'first', when: (c) => access.get(c.shared, first) === -1, do: (c) => ({ shared: access.set(c.shared, first, i) }) },
        { label: 'second', when: (c) => access.get(c.shared, second) === -1, do: (c) => ({ shared: access.set(c.shared, second, i) }) },
        {
          label: 'eat',
          do: (c) => ({ shared: access.set(access.set(c.shared, second, -1), first, -1), local: c.local + 1 }),
          goto: (c) => (c.local < rounds ? 'first' : 'done'),
        },
      ];
      return { name: `phil${i}`, locals: 0, steps };
    }),
    invariants: [
      {
        name: 'neighbours never eat together',
        check: (v) => {
          for (let j = 0; j < n; j++) if (v.at(j) === 'eat' && v.at((j + 1) % n) === 'eat') return `phil${j} and phil${(j + 1) % n} both eat`;
          return null;
        },
      },
    ],
    progress: false,
  });
}

/** `n` threads, thread i counting element i up to `limit` (`set(i, get(i) + 1)`), then done. */
export function countersModel(layout: Layout, n: number, limit: number): Model<any, number> {
  const { shared, access } = elements(layout, n, 0);
  return threadModel<any>({
    name: `counters-${layout}(${n}, ${limit})`,
    shared,
    threads: Array.from({ length: n }, (_, i) => ({
      name: `t${i}`,
      steps: [
        {
          label: 'inc',
          do: (c) => ({ shared: access.set(c.shared, i, access.get(c.shared, i) + 1) }),
          goto: (c) => (access.get(c.shared, i) < limit ? 'inc' : 'done'),
        },
      ],
    })),
    invariants: [{ name: 't0 counts up to the limit', check: (v) => (access.get(v.shared, 0) <= limit ? null : `t0's counter passed ${limit}`) }],
    progress: false,
  });
}

/**
 * `n` threads, thread i counting element i up to `limit`; each step's goto reads the sum of all
 * elements (by iterating the List, or every field), so every thread's memo leaf is keyed on
 * every counter: the memo misses on about every state and thread, whatever the layout.
 */
export function sumsModel(layout: Layout, n: number, limit: number): Model<any, number> {
  const { shared, access } = elements(layout, n, 0);
  const total = (s: any): number => (layout === 'list' ? (s.items as List<number>).reduce((a, b) => a + b, 0) : Array.from({ length: n }, (_, i) => access.get(s, i)).reduce((a, b) => a + b, 0));
  return threadModel<any>({
    name: `sums-${layout}(${n}, ${limit})`,
    shared,
    threads: Array.from({ length: n }, (_, i) => ({
      name: `t${i}`,
      steps: [
        {
          // Counts up to the limit, then idles until every thread has (no thread waits forever).
          label: 'inc',
          do: (c) => (access.get(c.shared, i) < limit ? { shared: access.set(c.shared, i, access.get(c.shared, i) + 1) } : undefined),
          goto: (c) => (total(c.shared) < n * limit ? 'inc' : 'done'),
        },
      ],
    })),
    progress: false,
  });
}
