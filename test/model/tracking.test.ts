// Read tracking and lineage marks (src/model/tracking.ts), the memo's foundation: what a step
// reads must be seen, and which fields its result set must be exact, even for the Immutable
// idioms that hide a write (setting a field to the value it has, a copy the step throws
// away, a no-op withMutations). Each case is also checked end to end: the vector engine must
// give the immutable engine's answer on a model whose step uses the idiom, from states where
// the idiom's write matters.
import { describe, expect, it } from 'vitest';
import { List, Record } from 'immutable';
import { Tracker, assignedSlots, trackedValue } from '../../src/model/tracking.ts';
import { shapeOf, type Shape } from '../../src/state/layout.ts';
import { StringCodes } from '../../src/state/codes.ts';
import { threadModel, type Step } from '../../src/model/dsl.ts';
import { runSearch } from '../../src/explore/engine.ts';
import type { CheckResult } from '../../src/explore/result.ts';
import { renderViolation } from '../../src/trace/text.ts';

const Fields = Record({ x: 0, y: 0, z: 0, l: List<number>([0]) }, 'Fields');
type F = ReturnType<typeof Fields>;
// Slots: x 0, y 1, z 2, l[0] 3.

/** `v` decoded as tracked values at slot 0 (its primitives read from `v` itself). */
function tracked<T>(v: T): { shape: Shape; rec: T } {
  const shape = shapeOf(v, new StringCodes());
  const values: unknown[] = [];
  const flatten = (x: unknown, sh: Shape): void => {
    if (sh.kind === 'prim') values.push(x);
    else if (sh.kind === 'list') sh.items.forEach((it, i) => flatten((x as List<unknown>).get(i), it));
    else sh.fields.forEach((f, i) => flatten((x as { get(k: string): unknown }).get(sh.keys[i]), f));
  };
  flatten(v, shape);
  return { shape, rec: trackedValue(shape, 0, (slot) => values[slot]) as T };
}

describe('read tracking', () => {
  it('sees every way of reading a field (getter, get, getIn, toJS, equals), once each, in order, per primitive slot', () => {
    const t = new Tracker(20);
    const { rec } = tracked(Fields({ x: 1, y: 2, l: List([5]) }));
    t.start();
    void rec.y;
    void rec.get('x');
    void rec.getIn(['l', 0]);
    void rec.y;
    t.stop();
    expect(t.reads).toEqual([1, 0, 3]);
    t.start();
    void rec.toJS();
    t.stop();
    expect([...t.reads].sort()).toEqual([0, 1, 2, 3]);
    t.start();
    void rec.equals(Fields());
    t.stop();
    // equals gets every field (x, y, z) and stops at x's difference: l's element is never compared.
    expect(t.reads).toEqual([0, 1, 2]);
    t.start();
    void rec.set('x', 0).set('y', 0).equals(Fields());
    t.stop();
    // x and y were set by the run itself (not read from the state); z agrees, so l is compared.
    expect(t.reads).toEqual([2, 3]);
    t.start();
    void rec.get('nope' as never);
    void rec.constructor;
    void rec.l; // a List inside: nothing read until its elements are
    t.stop();
    expect(t.reads).toEqual([]);
  });

  it('reads List elements one by one (get, update, setIn, first, last), and a whole List for any other method', () => {
    const Pages = Record({ pages: List([Fields(), Fields({ x: 3 })]), n: 0 }, 'Pages');
    const t = new Tracker(20);
    // Slots: pages[0].x..l[0] 0-3, pages[1] 4-7, n 8.
    const { rec } = tracked(Pages());
    t.start();
    void rec.pages.get(1)!.z;
    void rec.getIn(['pages', 0, 'l', 0]);
    void rec.pages.last()!.x;
    t.stop();
    expect(t.reads).toEqual([6, 3, 4]);
    t.start();
    void rec.pages.update(1, (p) => p!.set('y', p!.y + 1));
    void rec.setIn(['pages', 0, 'z'], 5);
    t.stop();
    // update reads y of page 1; setIn reads the field it replaces (as Immutable's updateIn looks at it).
    expect(t.reads).toEqual([5, 2]);
    for (const whole of [(r: typeof rec) => r.pages.map((p) => p.x), (r: typeof rec) => r.pages.toJS(), (r: typeof rec) => r.pages.push(Fields()), (r: typeof rec) => [...r.pages]]) {
      t.start();
      void whole(rec);
      t.stop();
      expect(t.reads).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    }
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

describe('lineage: the slots a result assigns, and those it moved from elsewhere', () => {
  const base = Fields({ x: 1, y: 2, z: 3 });
  const assignedBy = <T>(r: unknown, shape: Shape) => {
    const out: number[] = [];
    const moved: number[] = [];
    assignedSlots(r, shape, 0, (a, b) => { for (let x = a; x < b; x++) out.push(x); }, (a, b) => { for (let x = a; x < b; x++) moved.push(x); });
    return { assigned: out, moved };
  };

  it('a set that changes nothing still counts (x := 1 where x is 1), on a fresh copy', () => {
    const { shape, rec } = tracked(base);
    const r = rec.set('x', 1);
    expect(r).not.toBe(rec);
    expect(assignedBy(r, shape).assigned).toEqual([0]);
    expect(assignedBy(rec, shape).assigned).toEqual([]);
  });

  it('a copy the step throws away leaves no mark on the result', () => {
    const { shape, rec } = tracked(base);
    void rec.set('y', 5);
    const r = rec.set('z', 4);
    expect(assignedBy(r, shape).assigned).toEqual([2]);
  });

  it('withMutations, merge, update, setIn, remove and clear mark what they set, even when nothing changes', () => {
    const { shape, rec } = tracked(base);
    const a = (r: F) => assignedBy(r, shape).assigned;
    expect(a(rec.withMutations((m) => m.set('y', 2)))).toEqual([1]);
    expect(a(rec.merge({ x: 1, z: 9 }))).toEqual([0, 2]);
    expect(a(rec.update('z', () => 7))).toEqual([2]);
    // Into the List: only its element (setIn of the value it has changes nothing: it read the element, which keys it).
    expect(a(rec.setIn(['l', 0], 7))).toEqual([3]);
    expect(a(rec.setIn(['l', 0], 0))).toEqual([]);
    expect(a(rec.set('l', rec.l.set(0, 0)))).toEqual([3]);
    // A List built anew: all of it.
    expect(a(rec.setIn(['l'], List([1])))).toEqual([3]);
    expect(a(rec.remove('y'))).toEqual([1]);
    expect(a(rec.clear())).toEqual([0, 1, 2, 3]);
    expect(a(rec.set('x', 2).set('y', 3).merge({ z: 3 }))).toEqual([0, 1, 2]);
  });

  it('a Record built by a constructor counts as setting every field', () => {
    const { shape } = tracked(base);
    expect(assignedBy(Fields({ x: 1 }), shape).assigned).toEqual([0, 1, 2, 3]);
  });

  it('an element moved to another place is assigned there and read where it came from, even inside a value built anew', () => {
    const Pages = Record({ pages: List([Fields(), Fields({ x: 3 })]), n: 0 }, 'Pages');
    const { shape, rec } = tracked(Pages());
    // Swap the pages: each is copied from the other's place.
    const swapped = rec.set('pages', List([rec.pages.get(1)!, rec.pages.get(0)!]));
    expect(assignedBy(swapped, shape)).toEqual({ assigned: [0, 1, 2, 3, 4, 5, 6, 7], moved: [4, 5, 6, 7, 0, 1, 2, 3] });
    // A page copied with one field changed: that field is the step's, the others were copied.
    const copied = rec.set('pages', rec.pages.set(0, rec.pages.get(1)!.set('y', 9)));
    expect(assignedBy(copied, shape)).toEqual({ assigned: [0, 1, 2, 3], moved: [4, 6, 7] });
    // A page put back at its own place: nothing assigned, nothing moved.
    expect(assignedBy(rec.set('pages', List([rec.pages.get(0)!, Fields()])), shape)).toEqual({ assigned: [4, 5, 6, 7], moved: [] });
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
