// assert(cond, message) inside a step's code: a false condition is a violation of the property
// 'assertions' — "assertion in t1 at 'write': …" with the shortest trace ending in that step —
// never a model error, in the effect, the guard, choose and a goto function alike; the thread
// stops at that step (nothing the step did takes effect), and both engines give the same
// states, transitions and printed counterexamples.
import { describe, expect, it } from 'vitest';
import { ASSERTIONS, assert, threadModel, type Model, type Step } from '../../src/index.ts';
import { runSearch } from '../../src/explore/engine.ts';
import { confirmTrace } from '../../src/trace/confirm.ts';
import { violationToJSON } from '../../src/trace/json.ts';
import { onBothEngines } from '../helpers.ts';

/** Two threads read the counter, then increment it under a mutex, asserting it did not move since they read it. */
function lostUpdate() {
  return threadModel<number>({
    name: 'lost-update',
    shared: 0,
    locks: { l: 'mutex' },
    threads: [0, 1].map((i) => ({
      name: `t${i}`,
      locals: 0,
      steps: [
        { label: 'read', do: (c) => ({ local: c.shared }) },
        { label: 'lock', acquire: 'l' },
        {
          label: 'write',
          do: (c) => {
            assert(c.shared === c.local, `t${i} read ${c.local} but the counter is ${c.shared}`);
            return { shared: c.shared + 1 };
          },
        },
        { label: 'unlock', release: 'l' },
      ] satisfies Step<number, number>[],
    })),
  });
}

/** One thread: inc, then `check`, whose `where` asserts the counter is still 0. */
function failsAt(where: 'effect' | 'guard' | 'choose' | 'goto') {
  const check = (c: { shared: number }) => assert(c.shared === 0, `the counter is ${c.shared}`);
  const step: Step<number, null, number> =
    where === 'effect'
      ? { label: 'check', do: (c) => void check(c) }
      : where === 'guard'
        ? { label: 'check', when: (c) => (check(c), true) }
        : where === 'choose'
          ? { label: 'check', choose: (c) => (check(c), [0, 1]) }
          : { label: 'check', goto: (c) => (check(c), 'done') };
  return threadModel<number>({ name: `fails-in-${where}`, shared: 0, threads: [{ name: 't', steps: [{ label: 'inc', do: (c) => ({ shared: c.shared + 1 }) }, step] }] });
}


describe('assert in a step', () => {
  it('a failed assertion in an effect is the violated property assertions, its trace ending in that step, on both engines', async () => {
    const r = await onBothEngines(lostUpdate);
    expect(r.status).toBe('violated');
    if (r.status !== 'violated') return;
    expect(r.violation.property).toBe(ASSERTIONS);
    expect(r.violation.kind).toBe('transition');
    // t0 reads and locks; t1 reads 0; t0 writes 1 and unlocks; t1 locks and writes: 7 steps.
    expect(r.violation.message).toBe("assertion in t1 at 'write': t1 read 0 but the counter is 1");
    const steps = r.violation.trace.steps;
    expect(steps.map((s) => `${s.actor}:${s.label}`)).toEqual(['t0:read', 't0:lock', 't1:read', 't0:write', 't0:unlock', 't1:lock', 't1:write (assertion failed)']);
    // Nothing the failed step did takes effect: the counter stays 1; t1 rests there, holding l.
    expect(steps[6].changes).toEqual([]);
    expect(steps[6].locksHeld).toEqual(['l']);
  });

  it.each([
    ['effect', "assertion in t at 'check': the counter is 1"],
    ['guard', "assertion in t at 'check' (its guard): the counter is 1"],
    ['choose', "assertion in t at 'check' (choose): the counter is 1"],
    ['goto', "assertion in t at 'check' (its goto function): the counter is 1"],
  ] as const)('in its %s: reported where it failed, the thread stopped there (3 states, 2 transitions)', async (where, message) => {
    const r = await onBothEngines(() => failsAt(where), true);
    expect(r.status).toBe('violated');
    if (r.status !== 'violated') return;
    expect(r.violations.map((v) => [v.property, v.message])).toEqual([[ASSERTIONS, message]]);
    expect(r.violation.trace.steps.map((s) => s.label)).toEqual(['inc', 'check (assertion failed)']);
    // inc; the failing step; the stopped thread rests (an end point: no deadlock, no more states).
    expect([r.stats.distinctStates, r.stats.transitions]).toEqual([3, 2]);
  });

  it('a stopped thread keeps its locks: under --continue the thread waiting for one is a deadlock that names it', async () => {
    const build = () =>
      threadModel<number>({
        name: 'stopped-holding',
        shared: 0,
        locks: { l: 'mutex' },
        threads: [
          { name: 'a', steps: [{ label: 'lock', acquire: 'l' }, { label: 'bug', do: () => assert(false, 'BUG_ON') }, { label: 'unlock', release: 'l' }] },
          { name: 'b', steps: [{ label: 'lock', acquire: 'l' }, { label: 'unlock', release: 'l' }] },
        ],
      });
    const r = await onBothEngines(build, true);
    expect(r.status).toBe('violated');
    if (r.status !== 'violated') return;
    expect(r.violations.map((v) => [v.property, v.message])).toEqual([
      [ASSERTIONS, "assertion in a at 'bug': BUG_ON"],
      ['deadlock freedom', "no thread can move: b at 'lock' waits for l (held by a); a stopped at 'bug' by a failed assertion"],
    ]);
  });

  it('the trace replays and confirms the assertion, from JSON', async () => {
    const model = lostUpdate();
    const r = await runSearch(model, { workers: 1 });
    if (r.status !== 'violated') throw new Error(r.status);
    const json = JSON.parse(JSON.stringify(violationToJSON(model, r.violation)));
    expect(json.trace.steps.at(-1).state.threads.t1.at).toBe('write (assertion failed)');
    expect(confirmTrace(lostUpdate(), json).status).toBe('confirmed');
  });

  it('outside step code (in an invariant) it is an error saying so', async () => {
    const model = threadModel<number>({
      name: 'assert-in-invariant',
      shared: 0,
      threads: [{ name: 't', steps: [{ label: 'inc', do: (c) => ({ shared: c.shared + 1 }) }] }],
      invariants: [{ name: 'small', check: (v) => (assert(v.shared < 1, 'too big'), null) }],
    });
    const r = await runSearch(model, { workers: 1, engine: 'immutable' });
    expect(r.status).toBe('error');
    if (r.status !== 'error') return;
    expect(r.error.message).toBe("model 'assert-in-invariant': invariant 'small' called assert, which failed ('too big'): assert belongs in a step's code; a property returns what broke instead");
  });
});
