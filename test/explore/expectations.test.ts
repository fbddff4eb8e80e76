// A model's `expect` against what a search found: as expected, each difference (an
// undocumented violation included), and what the search could not settle — and `expect`
// keys that name no property are refused when the model is built with its defaults.
import { describe, expect, it } from 'vitest';
import { compareExpectations, defineModel, expectKeysProblem, threadModel } from '../../src/index.ts';
import { buildModel } from '../../src/check.ts';
import { runSearch } from '../../src/explore/engine.ts';
import { abbaThreads } from '../helpers.ts';

/** ABBA: two threads taking two mutexes in opposite orders; the counter invariant holds. */
function abba() {
  return threadModel<number>({
    name: 'abba',
    shared: 0,
    locks: { a: 'mutex', b: 'mutex' },
    threads: abbaThreads(),
    invariants: [{ name: 'counter stays 0', check: (v) => (v.shared === 0 ? null : 'moved') }],
  });
}

describe('compareExpectations', () => {
  it('a complete search: every declared verdict settled, as expected', async () => {
    const r = await runSearch(abba(), { workers: 1, allProperties: true });
    const rep = compareExpectations({ 'deadlock freedom': 'violated', 'counter stays 0': 'holds', progress: 'violated' }, r);
    expect(rep.mismatches).toEqual([]);
    expect(rep.unknown).toEqual([]);
    expect(rep.rows.map((x) => [x.property, x.found])).toEqual([
      ['deadlock freedom', 'violated'],
      ['counter stays 0', 'holds'],
      ['progress', 'violated'],
    ]);
  });

  it('says what differed: a property expected to hold that is violated, and a violation the expect does not name', async () => {
    const r = await runSearch(abba(), { workers: 1, allProperties: true });
    const rep = compareExpectations({ 'deadlock freedom': 'holds', 'counter stays 0': 'violated' }, r);
    expect(rep.mismatches.map((x) => [x.property, x.expected, x.found])).toEqual([
      ['deadlock freedom', 'holds', 'violated'],
      ['counter stays 0', 'violated', 'holds'],
      ['progress', undefined, 'violated'],
    ]);
  });

  it('stopped at the first violation: the other properties are not settled, and say why', async () => {
    const r = await runSearch(abba(), { workers: 1 });
    const rep = compareExpectations({ 'deadlock freedom': 'violated', 'counter stays 0': 'holds' }, r);
    expect(rep.mismatches).toEqual([]);
    expect(rep.unknown.map((x) => [x.property, x.why])).toEqual([['counter stays 0', 'the search stopped at the first violation; --all-properties checks the rest']]);
  });

  it('a property left unchecked (no liveness) is not settled', async () => {
    const r = await runSearch(abba(), { workers: 1, allProperties: true, liveness: false });
    const rep = compareExpectations({ progress: 'violated' }, r);
    expect(rep.unknown.map((x) => x.property)).toEqual(['progress']);
    expect(rep.unknown[0].why).toMatch(/^not checked: /);
  });
});

describe('expect keys name properties of the model', () => {
  it('an unknown key, with the closest property suggested', () => {
    expect(expectKeysProblem({ 'deadlock fredom': 'holds' }, ['deadlock freedom', 'progress'])).toBe(
      "expect names 'deadlock fredom', which is not a property of the model (did you mean 'deadlock freedom'?); its properties are 'deadlock freedom', 'progress'",
    );
    expect(expectKeysProblem({ progress: 'holds' }, ['deadlock freedom', 'progress'])).toBeNull();
  });

  it('buildModel refuses it with its defaults, and accepts other parameters (the expect speaks of the defaults)', () => {
    const def = defineModel({
      name: 'typo',
      summary: 'an expect with a typo',
      params: {},
      expect: { 'counter stays O': 'holds' },
      build: () => abba(),
    });
    expect(() => buildModel(def, {})).toThrow("model 'typo': expect names 'counter stays O', which is not a property of the model (did you mean 'counter stays 0'?)");
  });

  it('every built-in model names only its own properties', async () => {
    const { catalog } = await import('../../models/catalog.ts');
    for (const c of catalog) {
      const def = (await import(`../../models/${c.file}`)).default;
      const m = buildModel(def, {});
      expect(expectKeysProblem(def.expect ?? {}, m.properties.map((p: { name: string }) => p.name)), c.name).toBeNull();
    }
  });
});

