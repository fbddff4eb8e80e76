// The thread DSL's liveness features: valid end points, daemons as threads whose every step
// is one, the built-in progress property, the model's own liveness properties, and fairness
// per thread — on both engines (the vector engine answers predicates from memo tries).
import { describe, expect, it } from 'vitest';
import { Record as IRecord } from 'immutable';
import { ASSERTIONS, check, DEADLOCK, PROGRESS, threadModel, type CheckResult, type Fairness, type Step } from '../../src/index.ts';

const ENGINES = ['immutable', 'vector'] as const;

/** Property → 'holds' or the shortest counterexample's length, on both engines (which must agree). */
async function verdictsOf(build: () => ReturnType<typeof threadModel<any>>, options: { fairness?: Fairness } = {}) {
  const out: Record<string, 'holds' | number>[] = [];
  for (const engine of ENGINES) {
    const r = await check(build(), { ...options, engine, allProperties: true });
    if (r.status === 'error') throw new Error(r.error.message);
    expect(r.stats.engine).toBe(engine);
    const v: Record<string, 'holds' | number> = {};
    for (const p of r.properties) v[p] = 'holds';
    if (r.status === 'violated') for (const x of r.violations) v[x.property] = x.trace.steps.length;
    out.push(v);
  }
  expect(out[1], 'vector engine = immutable engine').toEqual(out[0]);
  return out[0];
}

const Flag = IRecord({ ready: false, work: 0 });
type FlagS = ReturnType<typeof Flag>;

/** A worker that waits for work at step 'idle' (an end point when `end`), and a producer that finishes. */
function workerModel(end: boolean, produce: boolean) {
  return threadModel<FlagS>({
    name: 'worker',
    shared: Flag(),
    threads: [
      { name: 'worker', steps: [{ label: 'idle', end, when: (c) => c.shared.work > 0, do: (c) => ({ shared: c.shared.set('work', 0) }) }, { label: 'done_work' }] },
      { name: 'producer', steps: produce ? [{ label: 'queue', do: (c) => ({ shared: c.shared.set('work', 1) }) }] : [{ label: 'nothing' }] },
    ],
  });
}

describe('valid end points', () => {
  it('a thread waiting forever at an end point is neither a deadlock nor a progress violation', async () => {
    // Nobody queues work: the worker waits at 'idle' forever once the producer is done.
    // Without `end` that is a deadlock (1 step: the producer finishes) and, as that state
    // repeats forever with the worker stuck at a non-end step, a progress violation too.
    expect(await verdictsOf(() => workerModel(false, false))).toEqual({ [DEADLOCK]: 1, [PROGRESS]: 1, 'no sleeping under a spinlock': 'holds', [ASSERTIONS]: 'holds' });
    expect(await verdictsOf(() => workerModel(true, false))).toEqual({ [DEADLOCK]: 'holds', [PROGRESS]: 'holds', 'no sleeping under a spinlock': 'holds', [ASSERTIONS]: 'holds' });
    // With work queued the worker runs to completion either way.
    expect(await verdictsOf(() => workerModel(false, true))).toEqual({ [DEADLOCK]: 'holds', [PROGRESS]: 'holds', 'no sleeping under a spinlock': 'holds', [ASSERTIONS]: 'holds' });
  });

  it('a deadlock names the threads that wait at other steps first, then those resting at end points', async () => {
    const m = threadModel<FlagS>({
      name: 'rest-and-wait',
      shared: Flag(),
      locks: { l: 'mutex' },
      threads: [
        { name: 'holder', steps: [{ label: 'take', acquire: 'l' }, { label: 'wait', end: true, when: (c) => c.shared.ready }, { label: 'give', release: 'l' }] },
        { name: 'waiter', steps: [{ label: 'take', acquire: 'l' }, { label: 'give', release: 'l' }] },
      ],
    });
    const r = await check(m, { engine: 'immutable' });
    expect(r.status === 'violated' && r.violation.message).toBe("no thread can move: waiter at 'take' waits for l (held by holder); holder rests at 'wait' (an end point)");
  });

  it('daemon: true is shorthand for end: true on every step (same verdicts, same states)', async () => {
    // A daemon that blocks forever at 'wait' for a flag, beside a thread that finishes.
    const daemonSteps = (end: boolean): Step<FlagS, null>[] => [
      { label: 'tick', end, do: (c) => ({ shared: c.shared.set('work', (c.shared.work + 1) % 2) }) },
      { label: 'wait', end, when: (c) => c.shared.ready, goto: 'tick' },
    ];
    const build = (daemon: boolean) => () =>
      threadModel<FlagS>({
        name: 'daemon-or-ends',
        shared: Flag(),
        threads: [{ name: 'main', steps: [{ label: 'run' }] }, { name: 'dev', daemon, steps: daemonSteps(!daemon) }],
      });
    const a = await verdictsOf(build(true));
    expect(a).toEqual({ [DEADLOCK]: 'holds', [PROGRESS]: 'holds', 'no sleeping under a spinlock': 'holds', [ASSERTIONS]: 'holds' });
    expect(await verdictsOf(build(false))).toEqual(a);
    const [x, y] = [await check(build(true)()), await check(build(false)())];
    expect(y.stats.distinctStates).toBe(x.stats.distinctStates);
  });
});

describe('progress under fairness, per thread', () => {
  /** t0 spins on a local flag it toggles; t1 must take a step that is enabled only while the flag is up. */
  const Bit = IRecord({ up: false, taken: false });
  type BitS = ReturnType<typeof Bit>;
  const toggler = (f1: Fairness) =>
    threadModel<BitS>({
      name: 'toggler',
      shared: Bit(),
      threads: [
        { name: 't0', daemon: true, steps: [{ label: 'flip', do: (c) => ({ shared: c.shared.set('up', !c.shared.up) }), goto: 'flip' }] },
        { name: 't1', fairness: f1, steps: [{ label: 'take', when: (c) => c.shared.up, do: (c) => ({ shared: c.shared.set('taken', true) }) }] },
      ],
    });

  it.each([
    // t1 is enabled every other state while t0 flips: weak fairness lets t0 flip forever
    // (t1 is never continuously enabled), strong fairness makes t1 take its step.
    ['none', 2],
    ['weak', 2],
    ['strong', 'holds'],
  ] as const)("t1's own fairness %s: progress %s", async (f1, want) => {
    expect((await verdictsOf(() => toggler(f1)))[PROGRESS]).toBe(want);
  });

  it('--fairness overrides every thread (strong in the model, weak for all: violated)', async () => {
    expect((await verdictsOf(() => toggler('strong'), { fairness: 'weak' }))[PROGRESS]).toBe(2);
    expect((await verdictsOf(() => toggler('none'), { fairness: 'strong' }))[PROGRESS]).toBe('holds');
  });

  it('progress: false leaves the property out; a model of daemons alone has it trivially', async () => {
    const m = threadModel<BitS>({ name: 'off', shared: Bit(), progress: false, threads: [{ name: 't', steps: [{ label: 'spin', goto: 'spin' }] }] });
    expect(m.properties.map((p) => p.name)).not.toContain(PROGRESS);
    const spinning = () => threadModel<BitS>({ name: 'on', shared: Bit(), threads: [{ name: 't', steps: [{ label: 'spin', goto: 'spin' }] }] });
    // A thread that loops forever through non-end steps violates progress (a one-step loop).
    expect((await verdictsOf(spinning))[PROGRESS]).toBe(1);
  });
});

describe("the model's own liveness properties in the DSL", () => {
  const Counter = IRecord({ n: 0, done: false });
  type CounterS = ReturnType<typeof Counter>;
  const counting = () =>
    threadModel<CounterS>({
      name: 'counting',
      shared: Counter(),
      threads: [
        { name: 'inc', steps: [{ label: 'inc', do: (c) => ({ shared: c.shared.set('n', c.shared.n + 1) }), goto: (c) => (c.shared.n < 3 ? 'inc' : 'finish') }, { label: 'finish', do: (c) => ({ shared: c.shared.set('done', true) }) }] },
      ],
      liveness: [
        { name: 'reaches 3', eventually: (v) => v.shared.n === 3 },
        { name: 'reaches 4', eventually: (v) => v.shared.n === 4 },
        { name: 'done infinitely often', alwaysEventually: (v) => v.shared.done },
        { name: 'two leads to done', leadsTo: [(v) => v.shared.n === 2, (v) => v.shared.done] },
        { name: 'both', all: [{ what: 'n is 1 at some point', eventually: (v) => v.shared.n === 1 }, { what: 'n is 5 at some point', eventually: (v) => v.shared.n === 5 }] },
      ],
    });

  it('eventually, always eventually, leads-to and all, on a counter that stops at 3', async () => {
    // n goes 0, 1, 2, 3, then done = true and the last state repeats forever (4 steps).
    // 'reaches 4' and the second formula of 'both' never hold: lassos of those 4 steps.
    expect(await verdictsOf(counting)).toEqual({
      [DEADLOCK]: 'holds',
      'no sleeping under a spinlock': 'holds',
      [ASSERTIONS]: 'holds',
      [PROGRESS]: 'holds',
      'reaches 3': 'holds',
      'reaches 4': 4,
      'done infinitely often': 'holds',
      'two leads to done': 'holds',
      both: 4,
    });
    const r = await check(counting(), { allProperties: true });
    const both = r.status === 'violated' ? r.violations.find((v) => v.property === 'both') : undefined;
    expect(both?.message).toMatch(/^never: n is 5 at some point\./);
    expect(both?.trace.loopStart).toBe(4);
  });

  it('more than 32 predicates: labels span several words, on both engines', async () => {
    // Two threads of one step (progress: predicates 0 and 1), then 'all' of 34 formulas
    // (predicates 2-35): 33 that hold (thread i eventually finishes) and last one that can
    // never hold, in the labels' second word. Only that one fails: a lasso of the 2 steps to
    // the end, where the last state repeats forever.
    const m = () =>
      threadModel<number>({
        name: 'wide',
        shared: 0,
        threads: [0, 1].map((i) => ({ name: `t${i}`, steps: [{ label: 'go' }] })),
        liveness: [
          {
            name: 'wide',
            all: [
              ...Array.from({ length: 33 }, (_, k) => ({ what: `t${k % 2} done (${k})`, eventually: (v: any) => v.at(k % 2) === 'done' })),
              { what: 'the impossible', eventually: () => false },
            ],
          },
        ],
      });
    const v = await verdictsOf(m);
    expect(v.wide).toBe(2);
    expect(v[PROGRESS]).toBe('holds');
    const r = await check(m(), { engine: 'vector' });
    expect(r.status === 'violated' && r.violation.message).toMatch(/^never: the impossible\./);
  });

  it('a predicate that does not return a boolean, or throws, is a located model error', async () => {
    const bad = (p: (v: any) => unknown) =>
      threadModel<CounterS>({ name: 'bad', shared: Counter(), threads: [{ name: 't', steps: [{ label: 's' }] }], liveness: [{ name: 'odd', eventually: p as never }] });
    for (const engine of ENGINES) {
      const r1: CheckResult = await check(bad(() => 1), { engine });
      expect(r1.status === 'error' && r1.error.message, engine).toMatch(/liveness property 'odd': eventually must return true or false, got 1/);
      const r2: CheckResult = await check(bad(() => { throw new RangeError('nope'); }), { engine });
      expect(r2.status === 'error' && r2.error.message, engine).toMatch(/liveness property 'odd' threw: RangeError: nope/);
    }
  });

  it('a liveness property with no form, or two, is refused when the model is built', () => {
    const spec = (l: object) => ({ name: 'm', shared: 0, threads: [{ name: 't', steps: [{ label: 's' }] }], liveness: [l as never] });
    expect(() => threadModel(spec({ name: 'x', eventually: () => true, leadsTo: [() => true, () => true] }))).toThrow(
      "model 'm': liveness property 'x' needs exactly one of eventually: p, alwaysEventually: p, leadsTo: [p, q], all: [...]; it has eventually, leadsTo",
    );
    expect(() => threadModel(spec({ name: 'y', leadsTo: [() => true] }))).toThrow("model 'm': liveness property 'y': leadsTo is an array: write leadsTo: [(v) => …, (v) => …]");
    expect(() => threadModel(spec({ name: 'z', all: [{ what: 'w', eventualy: () => true }] }))).toThrow("liveness property 'z', formula 'w' has an unknown key 'eventualy' (did you mean 'eventually'?)");
  });

  it('a fairness that is not one is refused when the model is built', () => {
    expect(() => threadModel({ name: 'f', shared: 0, threads: [{ name: 't', fairness: 'fair' as never, steps: [{ label: 's' }] }] })).toThrow(
      "model 'f', thread 't': fairness is 'fair': write 'none', 'weak', 'strong' or leave it out (weak)",
    );
  });
});
