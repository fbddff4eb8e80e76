// Test helper: run a model with every reduction and compare against the full search — the
// same set of violated properties, every reduced counterexample replays in the unreduced
// model and really breaks its property there, and the same terminal states are reached
// (persistent sets preserve every state without enabled actions; symmetry up to the
// canonical form) — a much sharper check of the independence relation than verdicts alone.
import { expect } from 'vitest';
import type { Model } from '../../src/model/model.ts';
import { bfs } from '../../src/explore/bfs.ts';
import type { CheckResult, Violation } from '../../src/explore/result.ts';
import { reductionFor, type ReductionChoice, reductionName } from '../../src/reduce/index.ts';
import { searchWithInferredFootprints } from '../../src/reduce/footprint-inference.ts';
import type { SearchOptions } from '../../src/explore/search-options.ts';
import { replay } from '../../src/trace/reconstruct.ts';
import { fingerprintBig } from '../../src/state/fingerprint.ts';

/** Fingerprints of the states found without enabled actions: as they are, and canonical. */
interface Terminals {
  readonly exact: Set<bigint>;
  readonly canonical: Set<bigint>;
}

/** The model, recording every state found without enabled actions into `into`. */
function recordingTerminals(model: Model<any, any>, into: Terminals): Model<any, any> {
  const canonical = model.symmetry?.refusal === null ? model.symmetry.canonical : (s: unknown) => s;
  return {
    ...model,
    actions: (s) => {
      const acts = model.actions(s);
      if (acts.length === 0) {
        into.exact.add(fingerprintBig(s));
        into.canonical.add(fingerprintBig(canonical(s)));
      }
      return acts;
    },
  };
}

export const CHOICES: readonly ReductionChoice[] = [{ por: true }, { symmetry: true }, { por: true, symmetry: true }];

/**
 * A reduced search of `model` as `check` runs it — footprints of undeclared steps inferred
 * (the learning search on `model`, the reduced ones on `searched`, which may record what it
 * is asked) — on the sequential immutable engine.
 */
export function reducedSearch(model: Model<any, any>, choice: ReductionChoice, options: SearchOptions, searched: Model<any, any> = model, learningStates?: number): Promise<CheckResult> {
  return searchWithInferredFootprints(
    model,
    choice,
    options,
    (c, o) => {
      const red = reductionFor(model, c);
      return bfs(searched, { ...o, reduction: red.ok ? red.reduction : undefined });
    },
    learningStates,
  );
}

/**
 * What these comparisons search for: safety. The reductions leave liveness out, so without
 * opting out every reduced run of a model with a liveness property would be incomplete (and
 * read here as "too big").
 */
export const SAFETY = { liveness: false } as const;

/** The names of the properties a result reports violated. */
export function violatedSet(r: CheckResult): string[] {
  if (r.status === 'violated' || r.status === 'incomplete') return [...new Set(r.violations.map((v) => v.property))].sort();
  return [];
}

/** Replays a violation's trace in the unreduced model and returns why the property fails there, or null. */
export function replayBreaks(model: Model<any, any>, v: Violation): string | null {
  const actions = v.trace.steps.map((s) => s.actionIndex);
  const trace = replay(model, v.trace.initIndex, actions);
  const states = [trace.initial, ...trace.steps.map((s) => s.state)];
  const last = states[states.length - 1];
  const prop = model.properties.find((p) => p.name === v.property)!;
  if (prop.kind === 'invariant') return prop.check(last);
  if (prop.kind === 'deadlock') return model.actions(last).length === 0 && !prop.isEnd(last) ? 'deadlock' : null;
  if (prop.kind === 'liveness') return null; // these comparisons check safety only: never reported
  const before = states[states.length - 2];
  const acts = model.actions(before);
  return prop.check(before, acts[actions[actions.length - 1]], last);
}

/**
 * Checks `build()` fully and with each reduction the model supports; asserts equal verdict
 * sets and valid counterexamples. Returns the distinct-state counts per reduction name, or
 * null when the full search needs more than `maxStates` states (nothing compared).
 */
export async function expectSameVerdicts(
  build: () => Model<any, any>,
  label: string,
  maxStates = Infinity,
  learningStates?: number,
): Promise<Record<string, number> | null> {
  const fullTerminals: Terminals = { exact: new Set(), canonical: new Set() };
  const full = await bfs(recordingTerminals(build(), fullTerminals), { allProperties: true, maxStates, ...SAFETY });
  if (full.status === 'incomplete') return null; // too big for this test
  expect(full.status, `${label}: full search`).not.toBe('error');
  const want = violatedSet(full);
  const counts: Record<string, number> = { none: full.stats.distinctStates };
  for (const choice of CHOICES) {
    const model = build();
    const red = reductionFor(model, choice);
    if (!red.ok) continue; // e.g. no thread group: nothing to compare
    const terminals: Terminals = { exact: new Set(), canonical: new Set() };
    const r = await reducedSearch(model, choice, { allProperties: true, ...SAFETY }, recordingTerminals(model, terminals), learningStates);
    const name = reductionName(choice);
    expect(r.status, `${label} with ${name}: ${r.status === 'error' ? r.error.message : ''}`).toBe(full.status);
    expect(violatedSet(r), `${label} with ${name}: violated properties`).toEqual(want);
    if (r.status === 'violated') {
      for (const v of r.violations) expect(replayBreaks(build(), v), `${label} with ${name}: trace of '${v.property}' replays`).not.toBeNull();
    }
    expect(r.stats.distinctStates, `${label} with ${name}: never more states`).toBeLessThanOrEqual(full.stats.distinctStates);
    const complete = (x: typeof r) => x.status === 'holds' || (x.status === 'violated' && !x.stoppedEarly);
    if (complete(full) && complete(r)) {
      const which = choice.symmetry ? 'canonical' : 'exact';
      expect(terminals[which], `${label} with ${name}: terminal states`).toEqual(fullTerminals[which]);
    }
    counts[name] = r.stats.distinctStates;
  }
  return counts;
}

/** What a reduced search on a model with wrong declarations may answer. */
const DECLARATION_ERROR = /which its footprint does not declare|which its 'reads' do not declare|not among its declared 'targets'/;

/**
 * Checks `build()` fully and with partial-order reduction (alone and with symmetry) and
 * asserts that the reduced search either stops with a declaration error or reports exactly
 * the full search's verdict and violated properties — never a different answer silently.
 * Returns per reduction whether it stopped with a declaration error ('error'), or agreed and
 * stored fewer states ('reduced') or not ('same'); null when the model is too big.
 */
export async function expectNoSilentDifference(build: () => Model<any, any>, label: string, maxStates = Infinity): Promise<Record<string, 'error' | 'reduced' | 'same'> | null> {
  const full = await bfs(build(), { allProperties: true, maxStates, ...SAFETY });
  if (full.status === 'incomplete') return null;
  expect(full.status, `${label}: full search`).not.toBe('error');
  const out: Record<string, 'error' | 'reduced' | 'same'> = {};
  for (const choice of CHOICES.filter((c) => c.por)) {
    const model = build();
    const red = reductionFor(model, choice);
    if (!red.ok) continue;
    const r = await reducedSearch(model, choice, { allProperties: true, ...SAFETY });
    const name = reductionName(choice);
    if (r.status === 'error') {
      expect(r.error.message, `${label} with ${name}: the only error allowed is a declaration error`).toMatch(DECLARATION_ERROR);
      out[name] = 'error';
      continue;
    }
    expect(r.status, `${label} with ${name}: verdict`).toBe(full.status);
    expect(violatedSet(r), `${label} with ${name}: violated properties`).toEqual(violatedSet(full));
    out[name] = r.stats.distinctStates < full.stats.distinctStates ? 'reduced' : 'same';
  }
  return out;
}
