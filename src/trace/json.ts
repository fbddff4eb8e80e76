// JSON form of a result: verdict, figures and each violation's steps with the full state as
// plain JSON, for machines (CI dashboards, `mmcheck replay`).
import type { Model } from '../model/model.ts';
import type { CheckResult, Trace } from '../explore/result.ts';

/** Format version of the JSON written by `--json`. */
export const JSON_FORMAT = 'mmcheck-result/1';

function plainState(model: Model<any, any> | undefined, s: unknown): unknown {
  if (model?.toJSON) return model.toJSON(s);
  return s !== null && typeof s === 'object' && 'toJS' in (s as object) ? (s as { toJS(): unknown }).toJS() : s;
}

/** A trace as plain JSON. */
export function traceToJSON(model: Model<any, any> | undefined, t: Trace) {
  return {
    initIndex: t.initIndex,
    initial: plainState(model, t.initial),
    steps: t.steps.map((s) => ({
      index: s.index,
      actor: s.actor ?? null,
      label: s.label,
      kernel: s.kernel ?? null,
      locksHeld: s.locksHeld ?? [],
      actionIndex: s.actionIndex,
      action: s.action,
      changes: s.changes,
      state: plainState(model, s.state),
    })),
  };
}

/** The whole result as plain JSON. */
export function resultToJSON(r: CheckResult, model?: Model<any, any>, params: Readonly<Record<string, unknown>> = {}) {
  const base = { format: JSON_FORMAT, model: r.model, params, status: r.status, stats: r.stats };
  switch (r.status) {
    case 'holds':
      return { ...base, properties: r.properties };
    case 'violated':
    case 'incomplete':
      return {
        ...base,
        properties: r.properties,
        ...(r.status === 'incomplete' ? { limit: r.limit, reason: r.reason } : { stoppedEarly: r.stoppedEarly }),
        violations: r.violations.map((v) => ({ property: v.property, kind: v.kind, message: v.message, trace: traceToJSON(model, v.trace) })),
      };
    case 'error':
      return { ...base, error: { message: r.error.message } };
  }
}
