// Plain Models (written against the Model interface, without the thread DSL) on the vector
// engine (src/model/plain-vector.ts): the immutable engine's answer where the states have a
// fixed layout, memoised by action part; a fall-back to Immutable values, with a note saying
// why, where they have none — from the start, or from the state where the layout changes.
import { describe, expect, it } from 'vitest';
import { buildModel } from '../../src/check.ts';
import { runSearch, type EngineChoice } from '../../src/explore/engine.ts';
import { compilePlainVectors } from '../../src/model/plain-vector.ts';
import { reductionFor } from '../../src/reduce/reduction.ts';
import { answerOf } from '../helpers.ts';
import twoPhase, { twoPhaseCommit } from '../../models/classic/two-phase-commit.ts';
import plainLayouts from '../fixtures/plain-layouts.ts';

const layouts = (kind: string) => buildModel(plainLayouts, { kind });
const run = (m: ReturnType<typeof layouts>, engine: EngineChoice, allProperties = false) => runSearch(m, { engine, allProperties, liveness: false });

describe('a plain Model on the vector engine', () => {
  it("two-phase-commit: TLC's, Stateright's and TwoPhase.tla's counts on the vector engine, each action part memoised on the few flags it reads", async () => {
    // RM = 3: 288 states, 1,145 transitions (TwoPhase.cfg); RM = 5: 8,832 (Stateright's
    // 2pc.rs); RM = 6: 50,816 (TwoPhase.tla's closing comment).
    for (const [rms, states, transitions] of [
      [3, 288, 1145],
      [5, 8832, 58145],
      [6, 50816, 402305],
    ]) {
      const vector = await run(buildModel(twoPhase, { rms }), 'auto');
      expect(vector.stats.engine, vector.stats.engineNote).toBe('vector');
      expect(answerOf(vector)).toEqual(answerOf(await run(buildModel(twoPhase, { rms }), 'immutable')));
      expect([vector.stats.distinctStates, vector.stats.transitions]).toEqual([states, transitions]);
    }
    // A part (the TM's two actions, or one RM's) reads a handful of flags, so its leaves are
    // few, where one memo of actions() would be keyed on the whole state and miss on every
    // state: RM = 6 misses about 2,100 times in 50,816 states, most of them TPTypeOK's
    // (which reads every slot) before it runs directly.
    const memo = (await run(buildModel(twoPhase, { rms: 6 }), 'vector')).stats.memo!;
    expect(memo.misses, JSON.stringify(memo)).toBeLessThan(50816 / 20);
  });

  it("without its actionParts, two-phase-commit 8's actions() reads nearly the whole state: auto goes back to Immutable values, and says why", async () => {
    // One memo for actions() keyed on all it reads (every RM's state and flags): 0.7 misses a
    // state past the warm-up, more than a miss is worth (memo-payoff.ts); with its parts, 8,000
    // misses in all 1.7 M states. It is judged at about 10,000 states, in level 6: the search
    // stops after that level.
    const { actionParts: _parts, ...whole } = twoPhaseCommit(8, 'two-phase');
    const r = await runSearch(whole, { liveness: false, maxDepth: 6 });
    expect([r.status, r.stats.engine]).toEqual(['incomplete', 'immutable']);
    expect(answerOf(r)).toEqual(answerOf(await runSearch(whole, { liveness: false, maxDepth: 6, engine: 'immutable' })));
    expect(r.stats.engineNote).toMatch(/^the vector engine's memo missed 0\.\d times a state over [\d,]+ states after the first [\d,]+ .*: searched Immutable values instead/);
  });

  it('eager-commit: the same 3-step counterexample as on Immutable values', async () => {
    const vector = await run(buildModel(twoPhase, { variant: 'eager-commit' }), 'vector', true);
    expect(vector.stats.engine).toBe('vector');
    expect(answerOf(vector)).toEqual(answerOf(await run(buildModel(twoPhase, { variant: 'eager-commit' }), 'immutable', true)));
    expect(vector.status === 'violated' && vector.violations.map((v) => v.trace.steps.map((s) => s.action))).toEqual([['TMCommit', 'RMChooseToAbort(r1)', 'RMRcvCommitMsg(r2)']]);
  });

  it('an invariant reading the whole state runs directly once its trie stops paying, and still finds the violation 17 steps deep', async () => {
    // 4^6 = 4,096 states; 'sum-below-17' is keyed on all six counters, so its trie misses on
    // every state until, past 2,000 lookups, it runs on each decoded state instead.
    const vector = await run(layouts('counters'), 'vector', true);
    const immutable = await run(layouts('counters'), 'immutable', true);
    expect(answerOf(vector)).toEqual(answerOf(immutable));
    expect(vector.status).toBe('violated');
    expect(vector.status === 'violated' && vector.violations[0].trace.steps.length).toBe(17);
    expect(vector.stats.distinctStates).toBe(4096);
    // The counters' parts read one counter each: every miss is a (counter, value) pair or an invariant's.
    expect(vector.stats.memo!.misses).toBeLessThan(2_100);
  });

  it("--symmetry on a plain Model's vectors: the model's canonical form, through the decoded state — the immutable engine's answer", async () => {
    // Six interchangeable counters 0..3: C(9, 3) = 84 multisets of values.
    const search = (engine: EngineChoice) => {
      const m = layouts('counters');
      const red = reductionFor(m, { symmetry: true });
      if (!red.ok) throw new Error(red.reason);
      return runSearch(m, { engine, allProperties: true, liveness: false, reductions: { symmetry: true }, reduction: red.reduction });
    };
    const vector = await search('vector');
    expect(vector.stats.engine).toBe('vector');
    expect(answerOf(vector)).toEqual(answerOf(await search('immutable')));
    expect(vector.stats.distinctStates).toBe(84);
  });

  it('a Set in the initial state: searched on Immutable values from the start, with a note naming it', async () => {
    const auto = await run(layouts('set'), 'auto');
    expect(auto.stats.engine).toBe('immutable');
    expect(auto.stats.engineNote).toMatch(/^no fixed layout of slots: the state: a Set, which has no fixed layout/);
    expect(answerOf(auto)).toEqual(answerOf(await run(layouts('set'), 'immutable')));
    const insisted = await run(layouts('set'), 'vector');
    expect(insisted.status === 'error' && insisted.error.message).toMatch(/^--engine vector: no fixed layout of slots: the state: a Set/);
  });

  it('a log that starts to grow at depth 10: the search restarts on Immutable values and says where (never a wrong count)', async () => {
    const auto = await run(layouts('grows-midway'), 'auto', true);
    const immutable = await run(layouts('grows-midway'), 'immutable', true);
    expect(auto.stats.engine).toBe('immutable');
    expect(auto.stats.engineNote).toMatch(/^a state has no fixed layout of slots \(log: a List of 1 where the initial state had 0 items .*\); searched Immutable values instead$/);
    expect(answerOf(auto)).toEqual(answerOf(immutable));
    // 25 states of two counters, then two log entries.
    expect([auto.stats.distinctStates, auto.status]).toEqual([27, 'violated']);
    const insisted = await run(layouts('grows-midway'), 'vector');
    expect(insisted.status === 'error' && insisted.error.message).toMatch(/^--engine vector: a state has no fixed layout of slots: log: a List of 1/);
  });

  it('actions that are objects: no vector form, and the note says why', async () => {
    const auto = await run(layouts('object-actions'), 'auto');
    expect(auto.stats.engine).toBe('immutable');
    expect(auto.stats.engineNote).toMatch(/^no vector form: its actions are objects/);
    expect(auto.status).toBe('holds');
  });

  it('actionParts that leave out an action actions() lists: the same model error on both engines', async () => {
    const vector = await run(layouts('bad-parts'), 'vector');
    const immutable = await run(layouts('bad-parts'), 'immutable');
    expect(vector.status).toBe('error');
    expect(vector.status === 'error' && vector.error.message).toMatch(/actions\(\) lists \[a, b\] where its actionParts list \[a\]: actions\(\) must be the parts' actions/);
    expect(answerOf(vector).error).toEqual(answerOf(immutable).error);
  });

  it('an unbuilt Model whose actions() differs from its parts where a part misses is stopped by the vector engine', async () => {
    // Without buildModel's wrapper actions() is the model's own: the vector engine compares it
    // with the parts on every state where a part's result is computed.
    const m = twoPhaseCommit(3, 'two-phase');
    const wrong = { ...m, actions: (s: Parameters<typeof m.actions>[0]) => m.actions(s).slice(1) };
    const r = await runSearch(wrong, { engine: 'vector', liveness: false });
    expect(r.status === 'error' && r.error.message).toMatch(/actions\(\) lists \[RMPrepare\(r1\), .*\] where its actionParts list \[TMAbort, RMPrepare\(r1\), /);
  });

  it("the layout: two-phase-commit with 3 RMs is 12 slots, named by the state's fields", () => {
    const v = compilePlainVectors(twoPhaseCommit(3, 'two-phase'), {});
    if ('reason' in v) throw new Error(v.reason);
    expect(v.width).toBe(12);
    expect([0, 3, 4, 7, 10, 11].map((x) => v.slotName(x))).toEqual(['rmState[0]', 'tmState', 'tmPrepared[0]', 'msgs.prepared[0]', 'msgs.commit', 'msgs.abort']);
  });
});
