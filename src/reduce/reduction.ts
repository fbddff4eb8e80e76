// Turns the user's switches (--por, --symmetry) into the search hooks, or says why a model
// cannot be reduced that way.
import type { Model } from '../model/model.ts';
import { fingerprintInto } from '../state/fingerprint.ts';
import type { InferredFootprints } from './inferred-footprints.ts';
import { PersistentSets } from './persistent-set.ts';
import type { Independence } from './support.ts';
import type { SearchReduction } from './search-hooks.ts';

/** Which reductions to apply. */
export interface ReductionChoice {
  /** Partial-order reduction (persistent sets, invisibility and cycle provisos). */
  readonly por?: boolean;
  /** Symmetry reduction (canonical representatives of interchangeable threads). */
  readonly symmetry?: boolean;
  /**
   * Partial-order reduction: the footprints inferred so far for steps and invariants that
   * declare none (footprint-inference.ts fills this in; without it they count as touching
   * everything).
   */
  readonly footprints?: InferredFootprints;
  /** Partial-order reduction: learn footprints instead of reducing (footprint-inference.ts's first search). */
  readonly learnFootprints?: boolean;
  /**
   * Partial-order reduction: trust the declared footprints, unchecked — only for measuring
   * what the check costs (bench/por-check.ts). A wrong declaration then goes unnoticed.
   */
  readonly trustDeclarations?: boolean;
}

/** The hooks for a search, or the reason the model does not support what was asked. */
export type ReductionResult<S, A> =
  | { readonly ok: true; readonly reduction: SearchReduction<S, A> | undefined }
  | { readonly ok: false; readonly reason: string };

/** The name of a reduction choice, as in the bench table: none / por / symmetry / both. */
export function reductionName(c: ReductionChoice): string {
  return c.por && c.symmetry ? 'both' : c.por ? 'por' : c.symmetry ? 'symmetry' : 'none';
}

/**
 * The persistent-set choice of a search over the states `ind` reads (Immutable values, or
 * vectors): indices into the enabled actions, or null to expand them all.
 */
export function persistentSelect<S, A>(ind: Independence<S, A>): (s: S, actions: readonly A[]) => readonly number[] | null {
  const sets = new PersistentSets(ind);
  return (s, actions) => sets.find(s, actions);
}

/**
 * The search hooks for `choice` on `model`.
 *
 * @example
 *   const r = reductionFor(model, { por: true });
 *   if (r.ok) await bfs(model, { reduction: r.reduction });
 */
export function reductionFor<S, A>(model: Model<S, A>, choice: ReductionChoice): ReductionResult<S, A> {
  let key: ((s: S, out: Uint32Array) => void) | undefined;
  let select: ((s: S, actions: readonly A[]) => readonly number[] | null) | undefined;
  if (choice.symmetry) {
    const sym = model.symmetry;
    if (!sym) return { ok: false, reason: `model '${model.name}' declares no symmetry (thread groups), so --symmetry cannot be used` };
    if (sym.refusal !== null) return { ok: false, reason: `model '${model.name}': --symmetry refused: ${sym.refusal}` };
    const canonical = sym.canonical;
    // No group of two or more threads: every state is its own representative.
    if (sym.description !== '') key = (s, out) => fingerprintInto(canonical(s), out);
  }
  if (choice.por) {
    // A model without independence information is searched unreduced (the search says so:
    // footprint-inference.ts).
    const ind = model.independence;
    ind?.prepare?.({ footprints: choice.footprints, learn: choice.learnFootprints, trust: choice.trustDeclarations });
    if (ind !== undefined && !choice.learnFootprints) select = persistentSelect(ind);
  }
  if (!key && !select) return { ok: true, reduction: undefined };
  return { ok: true, reduction: { key, select } };
}
