// Which liveness properties a run checks, under which fairness — or why it checks none: the
// liveness check needs every interleaving of the full state graph (no reduction) and the
// level search, which records that graph.
import { FAIRNESS_KINDS, livenessPredicates, propertiesByKind, type Fairness, type LivenessProperty, type Model } from '../../model/model.ts';
import type { Unchecked } from '../result.ts';

/** How a run that cannot check liveness opts out of it, ending a reason. */
const SAFETY_ONLY = ', or add --no-liveness to check safety only';

/** Processes a fair-cycle search can tell apart (one bit each in a 32-bit mask). */
export const MAX_PROCESSES = 32;

/** What a run asks of liveness checking. */
export interface LivenessChoice {
  /** false: check safety only (default true). */
  readonly liveness?: boolean;
  /** Every process's fairness, in place of the model's (`--fairness`). */
  readonly fairness?: Fairness;
}

/** The liveness check a level search runs after exploring every state. */
export interface LivenessPlan {
  readonly properties: readonly LivenessProperty<unknown>[];
  /** Liveness predicates, as the states are labelled (livenessPredicates). */
  readonly predicates: number;
  /** Per process: its name and fairness. */
  readonly processNames: readonly string[];
  readonly fairness: readonly Fairness[];
}

/** Why a search of this kind cannot check liveness, or null when it can. */
export interface LivenessObstacles {
  readonly por?: boolean;
  readonly symmetry?: boolean;
  /** --storage past memory ('disk', 'bitstate'): the state graph would have to stay in memory. */
  readonly storage?: string;
}

/**
 * The plan for `model`'s liveness properties under `choice`, and the properties left
 * unchecked (with why); or an error for a fairness that is not one, or too many processes.
 */
export function livenessPlan(model: Model<any, any>, choice: LivenessChoice, obstacles: LivenessObstacles): { plan?: LivenessPlan; unchecked: Unchecked[] } | { error: string } {
  const liveness = propertiesByKind(model).liveness;
  if (choice.fairness !== undefined && !FAIRNESS_KINDS.includes(choice.fairness)) {
    return { error: `--fairness must be one of ${FAIRNESS_KINDS.join(', ')}, got '${String(choice.fairness)}'` };
  }
  // No property or no formula (progress in a model of daemons): nothing to record, each holds.
  if (liveness.every((p) => p.formulas.length === 0)) return { unchecked: [] };
  const skip = (reason: string, optedOut = false) => ({ unchecked: liveness.map((p) => ({ property: p.name, reason, ...(optedOut ? { optedOut } : {}) })) });
  if (choice.liveness === false) return skip('not asked for: --no-liveness checks safety only', true);
  // FIXME: liveness under --por needs a stronger proviso than the cycle proviso (every loop of
  // the reduced graph fully expanded somewhere, as SPIN's); under --symmetry, a fairness that
  // follows threads through the permutations. Until then both leave liveness unchecked, and
  // the run is incomplete (result.ts withUnchecked) unless --no-liveness opts out.
  if (obstacles.por) return skip(`partial-order reduction (--por) leaves out interleavings a fair loop may need; run without --por${SAFETY_ONLY}`);
  if (obstacles.storage !== undefined) return skip(`--storage ${obstacles.storage} keeps the seen set past memory, and the liveness check needs the whole state graph in memory; use --storage ram${SAFETY_ONLY}`);
  if (obstacles.symmetry) return skip(`symmetry reduction (--symmetry) merges threads that fairness tells apart; run without --symmetry${SAFETY_ONLY}`);
  const processes = model.processes;
  const processNames = processes?.names ?? [model.name];
  if (processNames.length > MAX_PROCESSES) return { error: `liveness checking tells apart at most ${MAX_PROCESSES} processes; ${model.name} has ${processNames.length} (--no-liveness checks safety only)` };
  const fairness = processNames.map((_, i) => choice.fairness ?? processes?.fairness[i] ?? 'weak');
  return { plan: { properties: liveness, predicates: livenessPredicates(liveness).length, processNames, fairness }, unchecked: [] };
}

/** "weak for every thread", or each process's fairness. */
export function describeFairness(plan: Pick<LivenessPlan, 'processNames' | 'fairness'>): string {
  const kinds = new Set(plan.fairness);
  if (kinds.size === 1) return `${plan.fairness[0]} for ${plan.processNames.length === 1 ? plan.processNames[0] : `every thread`}`;
  return plan.processNames.map((n, i) => `${n} ${plan.fairness[i]}`).join(', ');
}
