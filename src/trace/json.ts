// JSON form of a result: verdict, figures and each violation's steps with the full state as
// plain JSON, for machines (CI dashboards, `mmcheck replay`), plus an ITF view of each trace.
//
// The schema is documented in docs/traces.md. Each violation carries its trace twice: as
// mmcheck steps (thread, label, action, changes, state), which `mmcheck replay` checks, and
// as an ITF trace (the Informal Trace Format of Apalache and Quint: {"#meta", "vars",
// "states": [{"#meta": {"index"}, var: value}]}) for tools that read ITF.
import type { Model } from '../model/model.ts';
import type { CheckResult, Trace, Violation } from '../explore/result.ts';

/** Format version of the JSON written by `--json`. */
export const JSON_FORMAT = 'mmcheck-result/2';

/** Where the model came from, so `mmcheck replay` can load it again. */
export type ModelSource = { readonly builtin: string } | { readonly file: string };

/** How a violation's trace was minimised beyond BFS's shortest. */
export interface MinimizeNote {
  readonly method: 'fewest-preemptions';
  /** Preemptions of the trace BFS found first. */
  readonly bfsPreemptions: number;
  /** (state, last thread) nodes the minimisation explored. */
  readonly nodes?: number;
  /** Set when the trace was kept as BFS found it, saying why. */
  readonly unchanged?: string;
}

/** What `resultToJSON` needs besides the result. */
export interface JsonContext {
  readonly model?: Model<any, any>;
  /** Resolved parameter values the model was built with. */
  readonly params?: Readonly<Record<string, unknown>>;
  readonly source?: ModelSource;
  /** Per violation (same order as `violations`): how its trace was minimised. */
  readonly minimized?: readonly (MinimizeNote | null)[];
}

/** A state as plain JSON: the model's toJSON, else Immutable's toJS. */
export function plainState(model: Model<any, any> | undefined, s: unknown): unknown {
  if (model?.toJSON) return model.toJSON(s);
  return s !== null && typeof s === 'object' && 'toJS' in (s as object) ? (s as { toJS(): unknown }).toJS() : s;
}

/** One step of a JSON trace. */
export interface JsonStep {
  readonly index: number;
  readonly thread: string | null;
  readonly label: string;
  readonly kernel: string | null;
  readonly note: string | null;
  readonly locksHeld: readonly string[];
  readonly action: string;
  readonly actionIndex: number;
  readonly preempts: boolean;
  readonly changes: readonly { path: string; before: string; after: string }[];
  readonly state: unknown;
}

/** A trace as plain JSON (a lasso with its `loopStart`). */
export function traceToJSON(model: Model<any, any> | undefined, t: Trace) {
  return {
    initIndex: t.initIndex,
    ...(t.loopStart !== undefined ? { loopStart: t.loopStart } : {}),
    initial: plainState(model, t.initial),
    steps: t.steps.map(
      (s): JsonStep => ({
        index: s.index,
        thread: s.actor ?? null,
        label: s.label,
        kernel: s.kernel ?? null,
        note: s.note ?? null,
        locksHeld: s.locksHeld ?? [],
        action: s.action,
        actionIndex: s.actionIndex,
        preempts: s.preempts ?? false,
        changes: s.changes,
        state: plainState(model, s.state),
      }),
    ),
  };
}

/** The ITF variable naming the step that led to a state (Quint's model-based-testing name). */
export const ITF_ACTION = 'mbt::actionTaken';

/**
 * A trace in the Informal Trace Format (ITF, ADR-015 of Apalache). Each state's variables
 * are the top-level fields of the model's plain-JSON state (a state that is not an object
 * becomes the variable `state`), plus `mbt::actionTaken`: the step that led to it ('init'
 * first), as Quint writes it. A lasso carries ITF's `loop`: the index of the state the last
 * one loops back to (the last state itself when it stutters).
 * Deviations from strict ITF: JSON null may appear (ITF has no null), and integers are
 * plain JSON numbers (ITF allows that within ±2^53).
 */
export function traceToITF(model: Model<any, any> | undefined, t: Trace, description: string) {
  const asVars = (s: unknown): Record<string, unknown> => {
    const p = plainState(model, s);
    return p !== null && typeof p === 'object' && !Array.isArray(p) ? (p as Record<string, unknown>) : { state: p };
  };
  const first = asVars(t.initial);
  const states = [
    { '#meta': { index: 0 }, ...first, [ITF_ACTION]: 'init' },
    ...t.steps.map((s) => ({ '#meta': { index: s.index }, ...asVars(s.state), [ITF_ACTION]: s.action })),
  ];
  return {
    '#meta': {
      format: 'ITF',
      'format-description': 'https://apalache-mc.org/docs/adr/015adr-trace.html',
      source: 'mmcheck',
      description,
    },
    vars: [...Object.keys(first), ITF_ACTION],
    states,
    ...(t.loopStart !== undefined ? { loop: t.loopStart } : {}),
  };
}

/** One violation as plain JSON. */
export function violationToJSON(model: Model<any, any> | undefined, v: Violation, minimized: MinimizeNote | null = null) {
  return {
    property: v.property,
    kind: v.kind,
    message: v.message,
    steps: v.trace.steps.length,
    preemptions: v.trace.preemptions ?? null,
    minimized,
    ...(v.fairness !== undefined ? { fairness: v.fairness } : {}),
    trace: traceToJSON(model, v.trace),
    itf: traceToITF(model, v.trace, `counterexample to '${v.property}': ${v.message}`),
  };
}

/** The whole result as plain JSON (schema: docs/traces.md). */
export function resultToJSON(r: CheckResult, ctx: JsonContext = {}) {
  const base = { format: JSON_FORMAT, model: r.model, source: ctx.source ?? null, params: ctx.params ?? {}, status: r.status, stats: r.stats };
  switch (r.status) {
    case 'holds':
      return { ...base, properties: r.properties, ...(r.unchecked !== undefined ? { unchecked: r.unchecked } : {}) };
    case 'violated':
    case 'incomplete':
      return {
        ...base,
        properties: r.properties,
        ...(r.unchecked !== undefined ? { unchecked: r.unchecked } : {}),
        ...(r.status === 'incomplete' ? { limit: r.limit, reason: r.reason } : { stoppedEarly: r.stoppedEarly }),
        violations: r.violations.map((v, i) => violationToJSON(ctx.model, v, ctx.minimized?.[i] ?? null)),
      };
    case 'error':
      return { ...base, error: { message: r.error.message } };
  }
}
