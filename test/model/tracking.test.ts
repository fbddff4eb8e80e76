// Read tracking and lineage marks (src/model/tracking.ts), the memo's foundation: what a step
// reads must be seen, and which fields its result set must be exact, even for the Immutable
// idioms that hide a write (setting a field to the value it has, a copy the step throws
// away, a no-op withMutations). Each case is also checked end to end: the vector engine must
// give the immutable engine's answer on a model whose step uses the idiom, from states where
// the idiom's write matters.
import { describe, expect, it } from 'vitest';
import { List, Record } from 'immutable';
import { Tracker, fieldsSet, trackingPrototype } from '../../src/model/tracking.ts';
import { makeRecord, type RecordProto } from '../../src/state/layout.ts';
import { threadModel, type Step } from '../../src/model/dsl.ts';
import { runSearch } from '../../src/explore/engine.ts';
import type { CheckResult } from '../../src/explore/result.ts';
import { renderViolation } from '../../src/trace/text.ts';

const Fields = Record({ x: 0, y: 0, z: 0, l: List<number>([0]) }, 'Fields');
type F = ReturnType<typeof Fields>;

function tracked(v: F) {
  const proto = trackingPrototype(Object.getPrototypeOf(v) as RecordProto, [10, 11, 12, 13]);
  return { proto, rec: makeRecord(proto, (v as unknown as { _values: List<unknown> })._values) as F };
}

describe('read tracking', () => {
  it('sees every way of reading a field (getter, get, getIn, toJS, equals), once each, in order', () => {
    const t = new Tracker(20);
    const { rec } = tracked(Fields({ x: 1, y: 2, l: List([5]) }));
    t.start();
    void rec.y;
    void rec.get('x');
    void rec.getIn(['l', 0]);
    void rec.y;
    t.stop();
    expect(t.reads).toEqual([11, 10, 13]);
    t.start();
    void rec.toJS();
    t.stop();
    expect([...t.reads].sort()).toEqual([10, 11, 12, 13]);
    t.start();
    void rec.equals(Fields());
    t.stop();
    expect(t.reads.length).toBe(4);
    t.start();
    void rec.get('nope' as never);
    void rec.constructor;
    t.stop();
    expect(t.reads).toEqual([]);
  });

  it('does not report reads of untracked records, or while no tracker runs', () => {
    const t = new Tracker(20);
    const { rec } = tracked(Fields());
    void rec.x; // no tracker started
    t.start();
    void Fields().x;
    t.stop();
    expect(t.reads).toEqual([]);
  });
});

describe('lineage marks: the fields set on the way from the tracked state to a result', () => {
  const base = Fields({ x: 1, y: 2, z: 3 });
  const setOf = (r: F, proto: object) => {
    const f = fieldsSet(r, proto, 4);
    return ['x', 'y', 'z', 'l'].filter((_, i) => f(i));
  };

  it('a set that changes nothing still counts (x := 1 where x is 1), on a fresh copy', () => {
    const { proto, rec } = tracked(base);
    const r = rec.set('x', 1);
    expect(r).not.toBe(rec);
    expect(setOf(r, proto)).toEqual(['x']);
    expect(setOf(rec, proto)).toEqual([]);
  });

  it('a copy the step throws away leaves no mark on the result', () => {
    const { proto, rec } = tracked(base);
    void rec.set('y', 5);
    const r = rec.set('z', 4);
    expect(setOf(r, proto)).toEqual(['z']);
  });

  it('withMutations, merge, update, setIn, remove and clear mark what they set, even when nothing changes', () => {
    const { proto, rec } = tracked(base);
    expect(setOf(rec.withMutations((m) => m.set('y', 2)), proto)).toEqual(['y']);
    expect(setOf(rec.merge({ x: 1, z: 9 }), proto)).toEqual(['x', 'z']);
    expect(setOf(rec.update('z', () => 7), proto)).toEqual(['z']);
    expect(setOf(rec.setIn(['l'], List([1])), proto)).toEqual(['l']);
    expect(setOf(rec.remove('y'), proto)).toEqual(['y']);
    expect(setOf(rec.clear(), proto)).toEqual(['x', 'y', 'z', 'l']);
    expect(setOf(rec.set('x', 2).set('y', 3).merge({ z: 3 }), proto)).toEqual(['x', 'y', 'z']);
  });

  it('a Record built by a constructor counts as setting every field', () => {
    const { proto } = tracked(base);
    expect(setOf(Fields({ x: 1 }), proto)).toEqual(['x', 'y', 'z', 'l']);
  });
});

function answer(r: CheckResult) {
  const shown = r.status === 'violated' || r.status === 'incomplete' ? r.violations : [];
  return { status: r.status, error: r.status === 'error' ? r.error.message : undefined, states: r.stats.distinctStates, transitions: r.stats.transitions, violations: shown.map((v) => renderViolation(v)) };
}

/** A model: a thread that counts x up to 2, y and z up and down, and a thread with `step`. */
function idiomModel(step: Step<F, null>) {
  return threadModel<F>({
    name: 'idiom',
    shared: Fields(),
    threads: [
      {
        name: 'mover',
        steps: [
          { label: 'x', do: (c) => ({ shared: c.shared.set('x', c.shared.x + 1) }) },
          { label: 'y', do: (c) => ({ shared: c.shared.set('y', (c.shared.y + 1) % 3) }) },
          { label: 'z', do: (c) => ({ shared: c.shared.set('z', (c.shared.z + 2) % 3) }) },
        ],
      },
      { name: 'idiom', steps: [step, { label: 'again', goto: 'done' }] },
    ],
    invariants: [{ name: 'x and z differ or are 0', check: (v) => (v.shared.x === v.shared.z && v.shared.x !== 0 ? `x = z = ${v.shared.x}` : null) }],
  });
}

describe('the memo is exact for these idioms (vector engine = immutable engine)', () => {
  const idioms: { readonly [name: string]: Step<F, null> } = {
    'set to a constant, read nothing': { label: 's', do: (c) => ({ shared: c.shared.set('x', 0) }) },
    'a discarded copy': {
      label: 's',
      do: (c) => {
        void c.shared.set('y', 7);
        return { shared: c.shared.set('z', 1) };
      },
    },
    'withMutations that may change nothing': { label: 's', do: (c) => ({ shared: c.shared.withMutations((m) => m.set('x', 1).set('z', 0)) }) },
    'update ignoring the old value': { label: 's', do: (c) => ({ shared: c.shared.update('y', () => 2) }) },
    'a fresh Record': { label: 's', do: (c) => ({ shared: Fields({ x: c.shared.y, z: 1 }) }) },
    'merge over a read': { label: 's', do: (c) => ({ shared: c.shared.merge({ z: c.shared.x, y: 0 }) }) },
    'setIn into a List': { label: 's', do: (c) => ({ shared: c.shared.setIn(['l', 0], c.shared.z) }) },
  };
  for (const [name, step] of Object.entries(idioms)) {
    it(name, async () => {
      const vector = await runSearch(idiomModel(step), { allProperties: true });
      const reference = await runSearch(idiomModel(step), { allProperties: true, engine: 'immutable' });
      expect(vector.stats.engine).toBe('vector');
      expect(answer(vector)).toEqual(answer(reference));
    });
  }
});

describe('what the memo cannot trust is reported', () => {
  it('a step that reads a counter outside the state (different fields from the same values)', async () => {
    let n = 0;
    const m = idiomModel({ label: 's', do: (c) => ({ shared: n++ % 2 === 0 ? c.shared.set('x', c.shared.y) : c.shared.set('x', c.shared.z) }) });
    const r = await runSearch(m, {});
    expect(r.status).toBe('error');
    if (r.status === 'error') expect(r.error.message).toMatch(/not deterministic/);
  });

  it('a step that changes the state behind Immutable\'s back (no tracked read or set)', async () => {
    const m = idiomModel({
      label: 's',
      do: (c) => {
        const raw = c.shared as unknown as { _values: List<unknown> };
        raw._values = raw._values.set(2, 1);
        return { shared: c.shared };
      },
    });
    const r = await runSearch(m, { engine: 'vector' });
    expect(r.status).toBe('error');
    if (r.status === 'error') expect(r.error.message).toMatch(/the vector engine cannot tell how this step changes shared\.z|not deterministic/);
  });
});
