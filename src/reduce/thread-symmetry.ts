// Symmetry of thread-DSL models: threads declared in one `group` are interchangeable, so a
// state and any state obtained by permuting the group's threads (program counters, locals,
// lock ownership) are equivalent. The canonical representative sorts each group's threads.
//
// Soundness conditions (the model author's promise; the first is checked here):
// 1. Threads of a group run the same program: the very same step objects (build the steps
//    once and share them; closures made per thread could differ, so equal source text is not
//    enough) and the same daemon flag. Checked: otherwise `refusal` says why and a search
//    asked to use symmetry stops with that message.
// 2. Nothing in the shared state or in locals names a thread of a group, and no step's code
//    depends on its thread's index or name (`ctx.tid`, `ctx.thread`) — else permuting
//    threads is not an automorphism of the transition system. Not checked.
// 3. The properties are symmetric: invariants do not single out one thread of a group
//    (`view.local('vcpu0')`). Deadlock freedom and no-sleep-under-spinlock always are.
// Initial locals may differ: only the transition relation and the properties need to be
// symmetric, since the search continues from the original states.
//
// Canonical form: within each group, threads are sorted by (program counter, fingerprint of
// their locals, the locks they hold); lock owners and rwsem reader masks are renamed to
// match. Two threads equal in all three are identical, so ties do not matter and the form is
// the same for every member of a symmetry class.
//
// FIXME: only threads are permuted. Interchangeable values (pages, addresses) would need a
// model-supplied permutation of the shared state moving threads, locks (ptl[v]) and list
// indices together; not built.
import { List } from 'immutable';
import type { DslState, ThreadModelSpec } from '../model/thread-spec.ts';
import { fingerprintInto } from '../state/fingerprint.ts';
import type { Symmetry } from './support.ts';

const FREE = -1;

interface Member {
  tid: number;
  pc: number;
  hi: number;
  lo: number;
  held: number[];
}

function compareMembers(a: Member, b: Member): number {
  if (a.pc !== b.pc) return a.pc - b.pc;
  if (a.hi !== b.hi) return a.hi - b.hi;
  if (a.lo !== b.lo) return a.lo - b.lo;
  const n = Math.min(a.held.length, b.held.length);
  for (let i = 0; i < n; i++) if (a.held[i] !== b.held[i]) return a.held[i] - b.held[i];
  return a.held.length - b.held.length;
}

/** Why the groups of `spec` are not interchangeable, or null. */
export function groupRefusal(spec: ThreadModelSpec<any>): string | null {
  const first = new Map<string, number>();
  for (let tid = 0; tid < spec.threads.length; tid++) {
    const t = spec.threads[tid];
    if (t.group === undefined) continue;
    const f = first.get(t.group);
    if (f === undefined) {
      first.set(t.group, tid);
      continue;
    }
    const u = spec.threads[f];
    const why = (msg: string) =>
      `threads '${u.name}' and '${t.name}' are both in group '${t.group}' but ${msg}; symmetry reduction needs identical programs (build the steps once and share the array)`;
    if ((u.daemon ?? false) !== (t.daemon ?? false)) return why('only one is a daemon');
    if (u.steps.length !== t.steps.length) return why(`have ${u.steps.length} and ${t.steps.length} steps`);
    for (let i = 0; i < u.steps.length; i++) {
      if (u.steps[i] !== t.steps[i]) return why(`step ${i + 1} ('${t.steps[i].label}') is a different object`);
    }
  }
  return null;
}

function groupsByName(spec: ThreadModelSpec<any>): Map<string, number[]> {
  const byGroup = new Map<string, number[]>();
  spec.threads.forEach((t, tid) => {
    if (t.group !== undefined) byGroup.set(t.group, [...(byGroup.get(t.group) ?? []), tid]);
  });
  return byGroup;
}

/** The thread groups of at least two threads, each as its threads' indices. */
export function symmetryGroups(spec: ThreadModelSpec<any>): number[][] {
  return [...groupsByName(spec).values()].filter((g) => g.length >= 2);
}

/**
 * The symmetry of a thread model: its groups of at least two threads, and the canonical
 * representative of a state.
 */
export function threadSymmetry<S>(spec: ThreadModelSpec<S>, lockCount: number): Symmetry<DslState<S>> {
  const byGroup = groupsByName(spec);
  const groups = symmetryGroups(spec);
  const description = [...byGroup.entries()]
    .filter(([, g]) => g.length >= 2)
    .map(([name, g]) => `${name}: ${g.map((tid) => spec.threads[tid].name).join(', ')}`)
    .join('; ');
  const fp = new Uint32Array(2);
  const n = spec.threads.length;

  const heldBy = (locks: List<number>, tid: number): number[] => {
    const out: number[] = [];
    for (let i = 0; i < lockCount; i++) {
      const v = locks.get(i)!;
      if (v === tid || (v <= -2 && ((-(v + 1)) & (1 << tid)) !== 0)) out.push(i);
    }
    return out;
  };

  const canonical = (s: DslState<S>): DslState<S> => {
    let rename: Int32Array | null = null; // old tid → new tid
    for (const g of groups) {
      const members: Member[] = g.map((tid) => {
        fingerprintInto(s.locals.get(tid), fp);
        return { tid, pc: s.pcs.get(tid)!, hi: fp[0], lo: fp[1], held: lockCount ? heldBy(s.locks, tid) : [] };
      });
      members.sort(compareMembers);
      for (let j = 0; j < g.length; j++) {
        if (members[j].tid === g[j]) continue;
        if (rename === null) {
          rename = new Int32Array(n);
          for (let i = 0; i < n; i++) rename[i] = i;
        }
        rename[members[j].tid] = g[j];
      }
    }
    if (rename === null) return s;
    const pcs = new Array<number>(n);
    const locals = new Array<unknown>(n);
    for (let tid = 0; tid < n; tid++) {
      pcs[rename[tid]] = s.pcs.get(tid)!;
      locals[rename[tid]] = s.locals.get(tid);
    }
    let locks = s.locks;
    for (let i = 0; i < lockCount; i++) {
      const v = s.locks.get(i)!;
      if (v >= 0) locks = locks.set(i, rename[v]);
      else if (v !== FREE) {
        const mask = -(v + 1);
        let m = 0;
        for (let tid = 0; tid < n; tid++) if (mask & (1 << tid)) m |= 1 << rename[tid];
        locks = locks.set(i, -(m + 1));
      }
    }
    return s.set('pcs', List(pcs)).set('locals', List(locals)).set('locks', locks);
  };

  return { canonical, refusal: groupRefusal(spec), description };
}
