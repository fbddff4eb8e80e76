// Coverage: how many times each step fired during a search, and which steps never did (a
// model bug, a guard that is never true, or dead code).
import type { Model } from '../model/model.ts';

/** Firing counts per step label, in the model's order. */
export interface CoverageReport {
  /** Label (`formatAction`) and how many transitions it labelled, in model order then first-seen order. */
  readonly counts: readonly { readonly step: string; readonly fired: number }[];
  /** Labels from `model.allActions()` that never fired. */
  readonly neverFired: readonly string[];
  /** Whether the model listed its steps (without `allActions`, unfired steps are unknown). */
  readonly complete: boolean;
}

/**
 * Counts transitions by label. Pass `onTransition` to the search (SearchOptions), then call
 * `report()`.
 *
 * @example
 *   const cov = new CoverageCounter(model);
 *   await bfs(model, { onTransition: cov.onTransition });
 *   console.log(renderCoverage(cov.report()));
 */
export class CoverageCounter<S, A> {
  private readonly fired = new Map<string, number>();
  constructor(private readonly model: Model<S, A>) {}

  /** The hook for SearchOptions.onTransition (bound once, not per call). */
  readonly onTransition = (state: unknown, action: unknown): void => {
    const label = this.model.formatAction(state as S, action as A);
    this.fired.set(label, (this.fired.get(label) ?? 0) + 1);
  };

  report(): CoverageReport {
    const all = this.model.allActions ? this.model.allActions() : [];
    const order = [...all, ...[...this.fired.keys()].filter((k) => !all.includes(k))];
    return {
      counts: order.map((step) => ({ step, fired: this.fired.get(step) ?? 0 })),
      neverFired: all.filter((k) => !this.fired.has(k)),
      complete: this.model.allActions !== undefined,
    };
  }
}

/** Coverage as a table: count, then label; then the steps that never fired. */
export function renderCoverage(r: CoverageReport, partial: boolean): string {
  const firedSteps = r.counts.filter((c) => c.fired > 0).length;
  const w = Math.max(5, ...r.counts.map((c) => c.fired.toLocaleString('en-US').length));
  const lines = [
    `Coverage: ${firedSteps} of ${r.counts.length} steps fired${partial ? ' (the search stopped early: counts cover the states explored until then)' : ''}`,
    `  ${'fired'.padStart(w)}  step`,
    ...r.counts.map((c) => `  ${c.fired.toLocaleString('en-US').padStart(w)}  ${c.step}`),
  ];
  if (!r.complete) lines.push('  (the model does not list its steps (no allActions): steps that never fired are not known)');
  else if (r.neverFired.length) lines.push(`never fired (${r.neverFired.length}): ${r.neverFired.join(', ')}`);
  else lines.push('every step fired at least once');
  return lines.join('\n');
}
