// Liveness under fairness on hand-built graphs (plain Models, so the Model interface's own
// liveness properties and processes are what is tested), and on random graphs against an
// independent oracle that shares no code with the checker: it enumerates every set of edges
// an infinite behaviour could take infinitely often, instead of computing SCCs.
import { describe, expect, it } from 'vitest';
import { check, lassoVerdict, type CheckResult, type Fairness, type LivenessProperty, type Model, type TemporalFormula } from '../../src/index.ts';

/** A graph model: states 0..n-1, edges [from, to, process], a label per state. */
interface Graph {
  readonly n: number;
  readonly edges: readonly (readonly [number, number, number])[];
  readonly processes: number;
  readonly fairness: readonly Fairness[];
}

/** The graph as a Model with one liveness property of one formula (states are numbers). */
function graphModel(g: Graph, formula: TemporalFormula<number>, name = 'prop'): Model<number, number> {
  const out = (s: number) => g.edges.map((e, i) => [e, i] as const).filter(([e]) => e[0] === s).map(([, i]) => i);
  const liveness: LivenessProperty<number> = { kind: 'liveness', name, formulas: [formula] };
  return {
    name: 'graph',
    initStates: () => [0],
    actions: out,
    next: (_s, a) => g.edges[a][1],
    properties: [liveness],
    formatAction: (s, a) => `p${g.edges[a][2]}: ${s}->${g.edges[a][1]}`,
    actorOf: (_s, a) => `p${g.edges[a][2]}`,
    processes: { names: Array.from({ length: g.processes }, (_, i) => `p${i}`), fairness: g.fairness, of: (_s, a) => g.edges[a][2] },
  };
}

/** The lasso of a violated result (asserting it closes and is fair, as replay would). */
function lassoOf(r: CheckResult, m: Model<number, number>, fairness: readonly Fairness[]) {
  expect(r.status).toBe('violated');
  if (r.status !== 'violated') throw new Error('not violated');
  const v = r.violation;
  expect(v.kind).toBe('liveness');
  const verdict = lassoVerdict(m, m.properties[0] as LivenessProperty<number>, v.trace, fairness);
  expect(verdict.violated, JSON.stringify(verdict)).toBe(true);
  const states = [v.trace.initial as number, ...v.trace.steps.map((s) => s.state as number)];
  return { states, loopStart: v.trace.loopStart!, message: v.message, actors: v.trace.steps.map((s) => s.action.split(':')[0]) };
}

describe('plain models: liveness properties checked like any other', () => {
  it('a predicate returning anything but true or false is a model error naming the property', async () => {
    const m = graphModel({ n: 1, edges: [], processes: 1, fairness: ['weak'] }, { form: 'eventually', what: 'x', p: (() => 1) as never }, 'odd');
    const r = await check(m);
    expect(r.status === 'error' && r.error.message).toMatch(/^model 'graph': liveness property 'odd': p returned 1 .*: return true or false$/);
  });
});

describe('fairness on hand-built graphs', () => {
  // p0 spins on a self-loop in state 0 forever; p1 can move 0 -> 1 (its only step), always
  // enabled in 0. State 1 has no successor. "eventually state 1":
  //   none:   violated — the scheduler may run p0's loop forever;
  //   weak:   holds — p1 is enabled in every state of that loop, so it must move;
  //   strong: holds (strong implies weak).
  const spin: Graph = { n: 2, edges: [[0, 0, 0], [0, 1, 1]], processes: 2, fairness: ['weak', 'weak'] };
  const reachOne: TemporalFormula<number> = { form: 'eventually', what: 'state 1 is reached', p: (s) => s === 1 };

  it.each([
    ['none', 'violated'],
    ['weak', 'holds'],
    ['strong', 'holds'],
  ] as const)('a thread always enabled beside a spinning one: %s fairness → %s', async (fairness, verdict) => {
    const m = graphModel(spin, reachOne);
    const r = await check(m, { fairness });
    expect(r.status).toBe(verdict);
    if (verdict === 'violated') {
      const l = lassoOf(r, m, ['none', 'none']);
      // Shortest lasso: no prefix, p0's self-loop.
      expect(l).toMatchObject({ states: [0, 0], loopStart: 0, actors: ['p0'] });
      expect(l.message).toContain('never: state 1 is reached');
      expect(l.message).toContain('p1 could move but is never scheduled (no fairness)');
    }
  });

  // p0 toggles 0 <-> 1 forever; p1 can move 1 -> 2 only (enabled in state 1, not in 0).
  //   weak:   violated — p1 is enabled only every other state, never continuously;
  //   strong: holds — enabled infinitely often, so it must move.
  const toggle: Graph = { n: 3, edges: [[0, 1, 0], [1, 0, 0], [1, 2, 1]], processes: 2, fairness: ['weak', 'weak'] };
  const reachTwo: TemporalFormula<number> = { form: 'eventually', what: 'state 2 is reached', p: (s) => s === 2 };

  it.each([
    ['none', 'violated'],
    ['weak', 'violated'],
    ['strong', 'holds'],
  ] as const)('a thread enabled every other state: %s fairness → %s', async (fairness, verdict) => {
    const m = graphModel(toggle, reachTwo);
    const r = await check(m, { fairness });
    expect(r.status).toBe(verdict);
    if (fairness === 'weak') {
      const l = lassoOf(r, m, ['weak', 'weak']);
      expect(l).toMatchObject({ states: [0, 1, 0], loopStart: 0, actors: ['p0', 'p0'] });
      expect(l.message).toContain('p1 is blocked at times on it (weak fairness asks no more)');
    }
  });

  it("the model's own fairness per process applies unless overridden", async () => {
    // p1 strongly fair by the model: holds; --fairness weak for all: violated.
    const m = graphModel({ ...toggle, fairness: ['weak', 'strong'] }, reachTwo);
    expect((await check(m)).status).toBe('holds');
    expect((await check(m, { fairness: 'weak' })).status).toBe('violated');
  });

  it('a state without successors repeats forever: a lasso whose loop is that state', async () => {
    // 0 -> 1 -> 2 (terminal); "eventually 3" can never hold: the behaviour stops at 2 and
    // stutters. The lasso is the 2 steps to it, with loopStart = 2 (no loop steps).
    const m = graphModel({ n: 3, edges: [[0, 1, 0], [1, 2, 0]], processes: 1, fairness: ['weak'] }, { form: 'eventually', what: 'state 3 is reached', p: (s) => s === 3 });
    const l = lassoOf(await check(m), m, ['weak']);
    expect(l).toMatchObject({ states: [0, 1, 2], loopStart: 2 });
    expect(l.message).toContain('in the last state, which repeats forever');
  });

  it('always eventually: infinitely often, not merely once', async () => {
    // 0 -> 1 -> 2 -> 2 (self-loop): state 1 is visited once. "eventually 1" holds,
    // "always eventually 1" fails on the loop at 2 (prefix 0, 1, 2).
    const g: Graph = { n: 3, edges: [[0, 1, 0], [1, 2, 0], [2, 2, 0]], processes: 1, fairness: ['weak'] };
    expect((await check(graphModel(g, { form: 'eventually', what: 'at 1', p: (s) => s === 1 }))).status).toBe('holds');
    const m = graphModel(g, { form: 'alwaysEventually', what: 'at 1', p: (s) => s === 1 });
    const l = lassoOf(await check(m), m, ['weak']);
    expect(l).toMatchObject({ states: [0, 1, 2, 2], loopStart: 2 });
    expect(l.message).toContain('not infinitely often: at 1');
  });

  it('leads-to: every request is followed by a grant', async () => {
    // 0 (idle) -> 1 (request) -> 2 (grant) -> 0, and 1 -> 3 (request lost) -> 3 forever.
    // request ~> grant fails through state 3; the lasso shows the request (step 1) first.
    const g: Graph = { n: 4, edges: [[0, 1, 0], [1, 2, 0], [2, 0, 0], [1, 3, 0], [3, 3, 0]], processes: 1, fairness: ['weak'] };
    const m = graphModel(g, { form: 'leadsTo', what: 'a request is granted', p: (s) => s === 1, q: (s) => s === 2 });
    const l = lassoOf(await check(m), m, ['weak']);
    expect(l).toMatchObject({ states: [0, 1, 3, 3], loopStart: 2 });
    expect(l.message).toContain('its condition holds at step 1');
    // Without the lost request it holds.
    const ok = graphModel({ ...g, edges: g.edges.slice(0, 3) }, { form: 'leadsTo', what: 'a request is granted', p: (s) => s === 1, q: (s) => s === 2 });
    expect((await check(ok)).status).toBe('holds');
  });
});

// ---- The oracle: recurrent edge sets, by enumeration --------------------------------------

/**
 * Whether `g` has a fair infinite behaviour from state 0 that breaks `form` over labels
 * `p`/`q`, found by brute force: an infinite behaviour takes some non-empty set E of edges
 * infinitely often; E's edges form a strongly connected subgraph over the states V it
 * touches, and the behaviour is fair iff each weakly fair process enabled in every state of
 * V, and each strongly fair process enabled in some state of V, owns an edge of E. A state
 * without successors is a recurrent set of its own (no edges, no process enabled).
 */
function oracle(g: Graph, form: TemporalFormula<number>['form'], p: boolean[], q: boolean[]): boolean {
  const enabled = (s: number) => new Set(g.edges.filter((e) => e[0] === s).map((e) => e[2]));
  const reach = (from: number[], ok: (s: number) => boolean): Set<number> => {
    const seen = new Set(from.filter(ok));
    const todo = [...seen];
    while (todo.length) {
      const s = todo.pop()!;
      for (const e of g.edges) if (e[0] === s && ok(e[1]) && !seen.has(e[1])) (seen.add(e[1]), todo.push(e[1]));
    }
    return seen;
  };
  // Every recurrent state set (as a sorted key list) that is fair, with its states.
  const recurrent: Set<number>[] = [];
  for (let s = 0; s < g.n; s++) if (enabled(s).size === 0) recurrent.push(new Set([s]));
  const m = g.edges.length;
  for (let mask = 1; mask < 1 << m; mask++) {
    const E = g.edges.filter((_, i) => (mask >> i) & 1);
    const V = new Set(E.flatMap((e) => [e[0], e[1]]));
    // Strongly connected over V using only E.
    const within = (from: number) => {
      const seen = new Set([from]);
      const todo = [from];
      while (todo.length) {
        const s = todo.pop()!;
        for (const e of E) if (e[0] === s && !seen.has(e[1])) (seen.add(e[1]), todo.push(e[1]));
      }
      return seen;
    };
    const v0 = [...V][0];
    if (within(v0).size !== V.size || ![...V].every((v) => within(v).has(v0))) continue;
    const owners = new Set(E.map((e) => e[2]));
    let fair = true;
    for (let pr = 0; pr < g.processes; pr++) {
      const inAll = [...V].every((v) => enabled(v).has(pr));
      const inSome = [...V].some((v) => enabled(v).has(pr));
      if (g.fairness[pr] === 'weak' && inAll && !owners.has(pr)) fair = false;
      if (g.fairness[pr] === 'strong' && inSome && !owners.has(pr)) fair = false;
    }
    if (fair) recurrent.push(V);
  }
  const all = reach([0], () => true);
  switch (form) {
    case 'alwaysEventually':
      return recurrent.some((V) => all.has([...V][0]) && [...V].every((v) => !p[v]));
    case 'eventually': {
      const avoiding = reach([0], (s) => !p[s]);
      return recurrent.some((V) => [...V].every((v) => avoiding.has(v)));
    }
    case 'leadsTo':
      return [...all].some((s) => p[s] && !q[s] && recurrent.some((V) => [...V].every((v) => !q[v]) && [...V].some((v) => reach([s], (x) => !q[x]).has(v))));
  }
}

/** A small random graph: every state reachable from 0 is what matters, the rest is ignored by both sides. */
function randomGraph(rnd: () => number): { g: Graph; p: boolean[]; q: boolean[] } {
  const n = 2 + Math.floor(rnd() * 4);
  const processes = 1 + Math.floor(rnd() * 3);
  const edges: [number, number, number][] = [];
  const m = 1 + Math.floor(rnd() * 8);
  for (let i = 0; i < m; i++) edges.push([Math.floor(rnd() * n), Math.floor(rnd() * n), Math.floor(rnd() * processes)]);
  const kinds: Fairness[] = ['none', 'weak', 'strong'];
  const fairness = Array.from({ length: processes }, () => kinds[Math.floor(rnd() * 3)]);
  const p = Array.from({ length: n }, () => rnd() < 0.4);
  const q = Array.from({ length: n }, () => rnd() < 0.4);
  // Duplicate edges (same from, to, process) are one transition to the model's search too.
  const unique = edges.filter((e, i) => edges.findIndex((x) => x[0] === e[0] && x[1] === e[1] && x[2] === e[2]) === i);
  return { g: { n, edges: unique, processes, fairness }, p, q };
}

/** A seeded generator (mulberry32), so a failure names its seed. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('exact on random graphs (an independent oracle)', () => {
  it('300 random graphs × three formulas × mixed fairness: the same verdict as enumerating recurrent edge sets', async () => {
    let violated = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const { g, p, q } = randomGraph(mulberry32(seed));
      for (const form of ['alwaysEventually', 'eventually', 'leadsTo'] as const) {
        const f: TemporalFormula<number> = { form, what: 'x', p: (s) => p[s], ...(form === 'leadsTo' ? { q: (s: number) => q[s] } : {}) };
        const m = graphModel(g, f);
        const r = await check(m);
        const want = oracle(g, form, p, q);
        expect(r.status, `seed ${seed}, ${form}, ${JSON.stringify(g)}, p=${p}, q=${q}`).toBe(want ? 'violated' : 'holds');
        if (r.status === 'violated') {
          violated++;
          // Every counterexample is a real fair lasso that breaks the formula.
          expect(lassoVerdict(m, m.properties[0] as LivenessProperty<number>, r.violation.trace, g.fairness).violated, `seed ${seed} ${form}`).toBe(true);
        }
      }
    }
    // Both verdicts are well represented (the generator is not degenerate).
    expect(violated).toBeGreaterThan(150);
    expect(violated).toBeLessThan(750);
  });
});
