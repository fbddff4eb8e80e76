// Built-in models with one footprint declaration left out — one key of one step's `reads`
// or `writes`, or of one invariant's `reads` — as a hurried driver author would: with
// --por, each variant must stop with a declaration error or find exactly the violations
// the full search finds. Never "holds" where the full search says violated. And with every
// declaration left out, --por infers the footprints: the same violations, still reduced.
import { describe, expect, it, vi } from 'vitest';
import { catalog } from '../../models/catalog.ts';
import type { ModelDefinition } from '../../src/model/definition.ts';
import type { Step, ThreadModelSpec } from '../../src/model/dsl.ts';
import { check } from '../../src/check.ts';
import { violatedSet } from './compare.ts';

/** The change made to every thread model built while it is set. */
let mutate: ((spec: ThreadModelSpec<any>) => ThreadModelSpec<any>) | null = null;

vi.mock('../../src/model/dsl.ts', async (importOriginal) => {
  const dsl = await importOriginal<typeof import('../../src/model/dsl.ts')>();
  return { ...dsl, threadModel: <S>(spec: ThreadModelSpec<S>) => dsl.threadModel(mutate === null ? spec : (mutate(spec) as ThreadModelSpec<S>)) };
});

async function load(name: string): Promise<ModelDefinition> {
  const entry = catalog.find((c) => c.name === name)!;
  return ((await import(new URL(`../../models/${entry.file}`, import.meta.url).href)) as { default: ModelDefinition }).default;
}

/** One declared key to leave out: of a step's reads or writes, or of an invariant's reads. */
interface Omission {
  /** The step, as thread name and label (each build makes new step objects). */
  readonly step?: { readonly thread: string; readonly label: string };
  readonly invariant?: string;
  readonly field: 'reads' | 'writes';
  readonly key: string;
  readonly label: string;
}

function omissions(spec: ThreadModelSpec<any>): Omission[] {
  const out: Omission[] = [];
  const seen = new Set<Step<any, any, any>>();
  for (const t of spec.threads) {
    for (const step of t.steps) {
      if (seen.has(step)) continue; // a group's threads share their steps
      seen.add(step);
      for (const field of ['reads', 'writes'] as const) {
        for (const key of step[field] ?? []) out.push({ step: { thread: t.name, label: step.label }, field, key, label: `${t.name}: ${step.label} without '${key}' in ${field}` });
      }
    }
  }
  for (const inv of spec.invariants ?? []) for (const key of inv.reads ?? []) out.push({ invariant: inv.name, field: 'reads', key, label: `invariant '${inv.name}' without '${key}' in reads` });
  return out;
}

function without(spec: ThreadModelSpec<any>, o: Omission): ThreadModelSpec<any> {
  const drop = (keys: readonly string[] | undefined) => keys?.filter((k) => k !== o.key);
  const target = o.step && spec.threads.find((t) => t.name === o.step!.thread)!.steps.find((s) => s.label === o.step!.label);
  // Every thread sharing the step object (a group) gets the changed copy.
  const changed = target && { ...target, [o.field]: drop(target[o.field]) };
  return {
    ...spec,
    threads: spec.threads.map((t) => ({ ...t, steps: t.steps.map((s) => (s === target ? changed! : s)) })),
    invariants: spec.invariants?.map((i) => (i.name === o.invariant ? { ...i, reads: drop(i.reads) } : i)),
  };
}

/** Models the full search finds violated (where a wrong "holds" would be the silent wrong answer). */
const CASES: readonly [string, Record<string, unknown>][] = [
  ['kvm', { mutant: 'seq-in-start' }],
  ['range-start-only', {}],
  ['interval-notifier', { mutant: 'no-set-seq' }],
];

describe('built-in models with one footprint key left out', () => {
  for (const [name, params] of CASES) {
    it(`${name} ${JSON.stringify(params)}: --por stops with a declaration error or finds the same violations`, async () => {
      const def = await load(name);
      let spec: ThreadModelSpec<any> | undefined;
      mutate = (s) => (spec = s);
      const full = await check(def, { params, allProperties: true });
      mutate = null;
      expect(full.status).toBe('violated');
      const cases = omissions(spec!);
      let errors = 0;
      for (const o of cases) {
        mutate = (s) => without(s, o);
        const por = await check(def, { params, allProperties: true, por: true });
        mutate = null;
        if (por.status === 'error') {
          expect(por.error.message, o.label).toMatch(/which its footprint does not declare|which its 'reads' do not declare/);
          errors++;
          continue;
        }
        expect(violatedSet(por), o.label).toEqual(violatedSet(full));
      }
      // Most omissions are caught. The rest leave out a key the step also declares in its
      // writes (reading what you write needs no entry), a lock key (a lock named by a
      // function then counts as every lock), or a key no reachable state makes the code
      // touch (page locks without migration, an invariant's short-circuited read): none of
      // these can change the answer.
      expect(errors, `${errors} of ${cases.length} caught`).toBeGreaterThan(cases.length / 2);
    });
  }
});

/** The spec with no footprint declaration at all (steps' reads/writes/updates, invariants' reads). */
function undeclared(spec: ThreadModelSpec<any>): ThreadModelSpec<any> {
  const bare = new Map<Step<any, any, any>, Step<any, any, any>>();
  const strip = (st: Step<any, any, any>) => {
    if (!bare.has(st)) bare.set(st, { ...st, reads: undefined, writes: undefined, updates: undefined });
    return bare.get(st)!;
  };
  const programs = new Map<readonly Step<any, any, any>[], Step<any, any, any>[]>();
  return {
    ...spec,
    threads: spec.threads.map((t) => {
      if (!programs.has(t.steps)) programs.set(t.steps, t.steps.map(strip));
      return { ...t, steps: programs.get(t.steps)! };
    }),
    invariants: spec.invariants?.map((i) => ({ ...i, reads: undefined })),
  };
}

describe('built-in models declaring no footprint at all', () => {
  const cases: readonly [string, Record<string, unknown>][] = [...CASES, ['kvm', { faults: 2 }], ['umem-odp', { faults: 2 }], ['migration', {}]];
  for (const [name, params] of cases) {
    it(`${name} ${JSON.stringify(params)}: --por infers the footprints, finds the same violations and reduces as much as the declarations`, async () => {
      const def = await load(name);
      const full = await check(def, { params, allProperties: true });
      const declared = await check(def, { params, allProperties: true, por: true, liveness: false });
      mutate = undeclared;
      const inferred = await check(def, { params, allProperties: true, por: true, liveness: false });
      mutate = null;
      expect(inferred.status).toBe(full.status);
      expect(violatedSet(inferred)).toEqual(violatedSet(full));
      expect(inferred.stats.reductionNote).toMatch(/^footprints inferred for \d+ steps and \d+ invariants declaring none/);
      // Inferred footprints reduce as much as the hand-written declarations (on these, the
      // very same states: 150, 83, 78, 735, 2,171 and 842).
      expect(inferred.stats.distinctStates).toBeLessThan(full.stats.distinctStates);
      expect(inferred.stats.distinctStates).toBeLessThanOrEqual(declared.stats.distinctStates);
    });
  }
});
