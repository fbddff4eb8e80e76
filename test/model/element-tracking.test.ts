// The vector engine tracks reads and writes per slot — each List element and nested Record
// field on its own — so a model keeping its data in a List runs like the same data in flat
// fields: the same memo misses and trie nodes, and the immutable engine's answer. Before,
// a step reading one element of a List was keyed on the whole List: a List of counters
// updated with set(i) missed on nearly every state (1.35 M misses for 280 k states, 13×
// slower than Immutable values), and `auto` still picked the vector engine; now `auto` also
// gives the vector engine up for Immutable values when its memo misses too often to pay.
import { describe, expect, it } from 'vitest';
import { List, Record } from 'immutable';
import { threadModel, type Model, type Step } from '../../src/index.ts';
import { runSearch } from '../../src/explore/engine.ts';
import { countersModel, forksModel, sumsModel } from '../../bench/element-models.ts';
import { answerOf } from '../helpers.ts';

async function both(build: () => Model<any, number>) {
  const vector = await runSearch(build(), { workers: 1, engine: 'vector', allProperties: true, liveness: false });
  const immutable = await runSearch(build(), { workers: 1, engine: 'immutable', allProperties: true, liveness: false });
  expect(vector.stats.engine).toBe('vector');
  expect(answerOf(vector)).toEqual(answerOf(immutable));
  return vector;
}

const Page = Record({ state: 'live', mapped: false, refs: 0 }, 'Page');
const Pages = Record({ pages: List([Page(), Page(), Page()]), moves: 0 }, 'Pages');
type P = ReturnType<typeof Pages>;

/**
 * Three threads on a List of three page Records: `mapper` maps page i with setIn and counts a
 * reference with update; `mover` swaps pages 0 and 2 (moving Records between places) or
 * copies page 1 over page 0 with one field changed; `freer` frees an unmapped page found by
 * iterating the List (a read of all of it).
 */
function pagesModel(): Model<any, number> {
  const steps = (i: number): Step<P, null>[] => [
    { label: 'map', when: (c) => c.shared.pages.get(i)!.state === 'live', do: (c) => ({ shared: c.shared.setIn(['pages', i, 'mapped'], true) }) },
    { label: 'ref', do: (c) => ({ shared: c.shared.update('pages', (ps) => ps.update(i, (p) => p!.set('refs', p!.refs + 1))) }) },
  ];
  return threadModel<P>({
    name: 'pages',
    shared: Pages(),
    strings: ['live', 'freed'],
    threads: [
      { name: 'mapper0', steps: steps(0) },
      { name: 'mapper1', steps: steps(1) },
      {
        name: 'mover',
        steps: [
          { label: 'swap', choose: () => [0, 1], do: (c, k) => ({ shared: k === 0 ? c.shared.set('pages', List([c.shared.pages.get(2)!, c.shared.pages.get(1)!, c.shared.pages.get(0)!])) : c.shared.set('pages', c.shared.pages.set(0, c.shared.pages.get(1)!.set('refs', 7))) }) },
          { label: 'count', do: (c) => ({ shared: c.shared.set('moves', c.shared.moves + 1) }) },
        ],
      },
      {
        name: 'freer',
        steps: [
          {
            label: 'free',
            do: (c) => {
              const j = c.shared.pages.findIndex((p) => !p.mapped);
              return j < 0 ? undefined : { shared: c.shared.setIn(['pages', j, 'state'], 'freed') };
            },
          },
        ],
      },
    ],
    invariants: [{ name: 'a mapped page is live', check: (v) => (v.shared.pages.some((p) => p.mapped && p.state === 'freed') ? 'a freed page is mapped' : null) }],
  });
}

describe('per-element tracking', () => {
  it('a List of counters updated with set(i): the memo misses exactly as for the same counters in flat fields', async () => {
    const list = await both(() => countersModel('list', 4, 6));
    const flat = await both(() => countersModel('flat', 4, 6));
    expect(list.stats.distinctStates).toBe(7 ** 4);
    // Each thread's step is keyed on its own counter only: one leaf per (counter value), not per state.
    expect(list.stats.memo!.misses).toBe(flat.stats.memo!.misses);
    expect(list.stats.memo!.nodes).toBe(flat.stats.memo!.nodes);
    expect(list.stats.memo!.misses).toBeLessThan(100);
  });

  it('dining philosophers whose forks are a List: the same misses and trie nodes as flat forks', async () => {
    const list = await both(() => forksModel('list', 4, 2));
    const flat = await both(() => forksModel('flat', 4, 2));
    expect(list.stats.memo!.misses).toBe(flat.stats.memo!.misses);
    expect(list.stats.memo!.nodes).toBe(flat.stats.memo!.nodes);
  });

  it('Records in a List changed with setIn and update, moved between places, copied with a change, and read by iteration: the immutable engine\'s answer', async () => {
    const r = await both(pagesModel);
    // A mapper maps only a live page, atomically, and the freer frees only an unmapped one, so
    // no mapped page is ever freed (moving and copying pages keep both fields together); but a
    // mapper whose page was freed (or moved away and replaced by a freed one) waits forever.
    expect(r.status).toBe('violated');
    if (r.status === 'violated') expect(r.violations.map((v) => v.property)).toEqual(['deadlock freedom']);
  });
});

describe("auto gives up the vector engine when its memo does not pay", () => {
  it('steps that read every element miss on every state: auto searches Immutable values and says why; --engine vector insists', async () => {
    const auto = await runSearch(sumsModel('list', 4, 8), { workers: 1, liveness: false });
    const immutable = await runSearch(sumsModel('list', 4, 8), { workers: 1, engine: 'immutable', liveness: false });
    expect(auto.stats.engine).toBe('immutable');
    expect(auto.stats.engineNote).toMatch(/^the vector engine's memo missed [\d.]+ times a state over [\d,]+ states after the first [\d,]+ \(the steps read too much of the state .*\): searched Immutable values instead \(--engine vector insists\); the vector attempt took [\d.]+ s before it$/);
    // Each thread's leaf is keyed on all four counters: about one miss per thread and state.
    expect(Number(/missed ([\d.]+)/.exec(auto.stats.engineNote!)![1])).toBeGreaterThan(2);
    expect(answerOf(auto)).toEqual(answerOf(immutable));
    // --engine vector goes on past the point where auto gave up.
    const vector = await runSearch(sumsModel('list', 4, 8), { workers: 1, engine: 'vector', liveness: false, maxStates: 6_000 });
    expect(vector.stats.engine).toBe('vector');
    expect(vector.stats.engineNote).toBeUndefined();
  });

  it('a model whose memo pays keeps the vector engine under auto (counters in a List, 4 threads to 12)', async () => {
    const auto = await runSearch(countersModel('list', 4, 12), { workers: 1, liveness: false });
    expect(auto.stats.engine).toBe('vector');
    expect(auto.stats.engineNote).toBeUndefined();
  });
});
