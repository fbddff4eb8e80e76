// The footprint probe reports what model code reads and assigns, path by path, at the
// finest grain the code's access allows — and never less than it touched (anything it cannot
// follow counts as the whole value).
import { describe, expect, it } from 'vitest';
import { List, Record } from 'immutable';
import { AccessProbe, assignedPaths, escapes, probing, viewOf } from '../../src/reduce/access-probe.ts';
import { setFields } from '../../src/model/records.ts';

const Page = Record({ ref: 0, state: 'unused' }, 'Page');
const Mm = Record({ pte: List<number | null>(), pages: List<ReturnType<typeof Page>>(), seq: 0 }, 'Mm');
const mm = () => Mm({ pte: List([0, 1, null]), pages: List([Page({ ref: 2, state: 'live' }), Page({ ref: 1, state: 'live' }), Page()]), seq: 0 });
type M = ReturnType<typeof mm>;

/** What `fn` read and assigned on a view of `mm()`, as sorted key texts. */
function probe(fn: (s: M) => M | undefined): { reads: string[]; writes: string[] } {
  const p = new AccessProbe();
  const view = viewOf(mm());
  const out = probing(p, () => fn(view));
  if (out !== undefined) assignedPaths(view, out, p);
  return { reads: [...p.reads.keys()].sort(), writes: [...p.writes.keys()].sort() };
}

describe('the footprint probe', () => {
  it('reports element reads of Lists and field reads of nested Records', () => {
    expect(probe((s) => (s.pte.get(1) === 1 && s.pages.get(1)!.state === 'live' ? undefined : undefined))).toEqual({ reads: ['pages[1].state', 'pte[1]'], writes: [] });
  });

  it('reports an element set, even to the value it had, and nothing else', () => {
    expect(probe((s) => s.set('pte', s.pte.set(0, 0)))).toEqual({ reads: [], writes: ['pte[0]'] });
    expect(probe((s) => setFields(s, { seq: s.seq + 1 }))).toEqual({ reads: ['seq'], writes: ['seq'] });
  });

  it('follows update, setIn and withMutations down to the field', () => {
    const r = probe((s) => s.set('pages', s.pages.update(1, (p) => p!.set('ref', p!.ref - 1))));
    expect(r).toEqual({ reads: ['pages[1].ref'], writes: ['pages[1].ref'] });
    // setIn is updateIn: Immutable reads the old value to see whether anything changes.
    expect(probe((s) => s.setIn(['pages', 0, 'state'], 'freed'))).toEqual({ reads: ['pages[0].state'], writes: ['pages[0].state'] });
  });

  it('counts iteration, equality and search as reading the whole value', () => {
    expect(probe((s) => (s.pages.findIndex((p) => p.state === 'unused') >= 0 ? undefined : undefined)).reads).toContain('pages');
    expect(probe((s) => (s.pte.equals(List([0, 1, null])) ? undefined : undefined)).reads).toContain('pte');
    expect(probe((s) => (s.pte.size > 2 ? undefined : undefined)).reads).toEqual(['pte[#size]']);
  });

  it('counts a value not derived from the state as assigning its whole path', () => {
    expect(probe((s) => s.set('pte', List([null, null, null]))).writes).toEqual(['pte']);
    expect(probe((s) => s.set('pages', s.pages.set(2, Page({ ref: 1, state: 'live' })))).writes).toEqual(['pages[2]']);
    // A part moved from another path is an assignment of the path it lands on, and a read of
    // the whole part it came from (its contents flow, whether or not the code looked inside).
    expect(probe((s) => s.set('pages', s.pages.set(2, s.pages.get(0)!)))).toEqual({ reads: ['pages[0]'], writes: ['pages[2]'] });
    expect(probe((s) => s.set('pages', s.pages.set(2, Page({ ref: s.pages.get(0)!.ref, state: 'live' }))))).toEqual({ reads: ['pages[0].ref'], writes: ['pages[2]'] });
    // A List grown by push: the whole List (and its old items are read).
    expect(probe((s) => s.set('pte', s.pte.push(3)))).toMatchObject({ writes: ['pte'] });
  });

  it('does not count reading back what the code itself assigned', () => {
    expect(probe((s) => {
      const t = s.set('pte', s.pte.set(2, 5));
      return t.set('seq', t.pte.get(2)!);
    })).toEqual({ reads: [], writes: ['pte[2]', 'seq'] });
  });
});

describe('the footprint probe on a value written back unchanged', () => {
  it('does not count it as a write when the code read it first', () => {
    // umem-odp's start_account: setFields(shared, { count: count + 1, seq: shared.seq }).
    expect(probe((s) => setFields(s, { seq: s.seq }))).toEqual({ reads: ['seq'], writes: [] });
  });
  it('counts it as a write when the code did not read it', () => {
    expect(probe((s) => setFields(s, { seq: 0 }))).toEqual({ reads: [], writes: ['seq'] });
  });
});

describe('the footprint probe on parts of the state kept elsewhere', () => {
  it('counts keeping a part as reading all of it', () => {
    const p = new AccessProbe();
    const view = viewOf(mm());
    const kept = probing(p, () => List([view.pte, view.seq]));
    escapes(kept, p);
    // pte is copied whole into what the code keeps; seq was read as a number.
    expect([...p.reads.keys()].sort()).toEqual(['pte', 'seq']);
  });
  it('counts a part nested in a new value stored in the state as read', () => {
    expect(probe((s) => s.set('pte', List([s.pages.get(1) as unknown as number])))).toEqual({ reads: ['pages[1]'], writes: ['pte'] });
  });
});
