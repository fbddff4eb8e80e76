// A Record key typo is a model error naming the Record, the key and its keys (issue 21),
// however the record is changed or built, on both engines; keys the Record has work as before.
import { describe, expect, it } from 'vitest';
import { Map as IMap, Record, is } from 'immutable';
import { check, defineModel, threadModel, type Step } from '../../src/index.ts';

const Shared = Record({ mapped: false, count: 0 }, 'Shared');
type S = ReturnType<typeof Shared>;
const KEYS = 'its keys are mapped, count';

describe('a Record key the Record does not have', () => {
  const s = Shared();
  it.each([
    ['set', () => s.set('mapedd' as 'mapped', true)],
    ['merge', () => s.merge({ cuont: 1 } as never)],
    ['update', () => s.update('cuont' as 'count', (x: number) => x + 1)],
    ['setIn', () => s.setIn(['cuont'], 1)],
    ['remove', () => s.remove('cuont' as 'count')],
    ['withMutations', () => s.withMutations((m) => m.set('cuont' as 'count', 1))],
  ])('%s throws', (_how, f) => {
    expect(f).toThrow(/^Record 'Shared' has no key '(mapedd|cuont)' \(set\): its keys are mapped, count$/);
  });

  it.each([
    ['a plain object', () => Shared({ cuont: 1 } as never)],
    ['a Map', () => Shared(IMap({ cuont: 1 }) as never)],
    ['new', () => new Shared({ mapedd: true } as never)],
  ])('constructing one with %s throws', (_how, f) => {
    expect(f).toThrow(new RegExp(`^Record 'Shared' has no key '(cuont|mapedd)' \\(constructed with it\\): ${KEYS}$`));
  });

  it("names an unnamed Record 'a Record'", () => {
    expect(() => Record({ x: 0 })({ y: 1 } as never)).toThrow("a Record has no key 'y' (constructed with it): its keys are x");
  });

  it('keys the Record has behave as Immutable says', () => {
    const r = Shared({ count: 2 });
    expect(r.set('mapped', true).mapped).toBe(true);
    expect(r.merge({ count: 3 }).count).toBe(3);
    expect(r.update('count', (x) => x + 1).count).toBe(3);
    expect(r.get('cuont' as 'count', 7)).toBe(7); // get keeps its not-set value
    expect(r.has('cuont')).toBe(false);
    expect(is(Shared({ count: 2, mapped: false }), r)).toBe(true);
    expect(JSON.stringify(r)).toBe('{"mapped":false,"count":2}');
    expect(r.toString()).toBe('Shared { mapped: false, count: 2 }');
  });
});

describe('in a model', () => {
  const model = (step: Step<S, null>) =>
    defineModel({ name: 'typo', summary: 'a typo', params: {}, build: () => threadModel<S>({ name: 'typo', shared: Shared(), threads: [{ name: 't', locals: null, steps: [step] }] }) });

  it.each(['vector', 'immutable'] as const)("an effect's typo is a model error at its step (%s engine)", async (engine) => {
    const r = await check(model({ label: 'map', do: ({ shared }) => ({ shared: shared.set('mapedd' as 'mapped', true) }) }), { engine, workers: 1 });
    expect(r.status).toBe('error');
    expect(r.status === 'error' && r.error.message).toBe(`model 'typo', thread 't', step 'map': effect threw: Record 'Shared' has no key 'mapedd' (set): ${KEYS}`);
  });

  it("a typo in build()'s initial state is a model error of build()", async () => {
    const def = defineModel({ name: 'ctor', summary: 'a typo', params: {}, build: () => threadModel({ name: 'ctor', shared: Shared({ cuont: 1 } as never), threads: [] }) });
    const r = await check(def);
    expect(r.status === 'error' && r.error.message).toBe(`model 'ctor': build() threw: Record 'Shared' has no key 'cuont' (constructed with it): ${KEYS}`);
  });
});
