// Runs a kernel-side step sequence inside another thread, the way the kernel calls into it:
// direct reclaim inside an allocation, a copy-on-write inside get_user_pages. The sequence's
// labels get a prefix (a thread's labels must be unique, and one thread may embed a sequence
// twice), every jump inside it is renamed to match, and where it would end the thread it goes
// on at `exit` instead.
import { DONE, type Step, type StepContext, type StepEffect } from '../../src/model/dsl.ts';

/**
 * `steps` relabelled `prefix + label`, with `goto`s, `targets` and effects' jumps renamed
 * and DONE turned into `exit`; a step whose own end falls off the sequence goes to `exit`.
 * Without `exit` the sequence ends where it would have (DONE stays DONE, and the last step
 * falls through to whatever follows the sequence in its thread).
 *
 * @example
 *   steps: [{ label: 'alloc', … goto: 'dr.isolate' }, ...embed(reclaimSteps, 'dr.', 'alloc')]
 */
export function embed<S, L>(steps: readonly Step<S, any, any>[], prefix: string, exit?: string): Step<S, L, any>[] {
  const own = new Set(steps.map((s) => s.label));
  const rename = (label: string): string => (label === DONE && exit !== undefined ? exit : own.has(label) ? prefix + label : label);
  return steps.map((s, i) => {
    const last = i === steps.length - 1;
    const goto = s.goto;
    const out: Step<S, L, any> = {
      ...(s as Step<S, L, any>),
      label: prefix + s.label,
      ...(s.targets ? { targets: s.targets.map(rename) } : {}),
      ...(typeof goto === 'string' ? { goto: rename(goto) } : {}),
      ...(typeof goto === 'function' ? { goto: (c: StepContext<S, L>) => rename((goto as (c: StepContext<S, L>) => string)(c)) } : {}),
      ...(goto === undefined && last && exit !== undefined ? { goto: exit } : {}),
      ...(s.do
        ? {
            do: (c: StepContext<S, L>, choice: unknown): StepEffect<S, L> | void => {
              const eff = (s.do as (c: StepContext<S, L>, choice: unknown) => StepEffect<S, L> | void)(c, choice);
              return eff && eff.goto !== undefined ? { ...eff, goto: rename(eff.goto) } : eff;
            },
          }
        : {}),
    };
    return out;
  });
}
