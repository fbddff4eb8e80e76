// Differences between two Immutable values, as readable paths: `spte[0]: P1 → none`.
//
// Used by traces to show only the variables a step changed. Records and Maps recurse by key,
// Lists by index; Sets and anything else that changed are shown whole.
import { is, isImmutable, isList, isMap, isRecord } from 'immutable';
import type { Change } from '../model/model.ts';

/** A value in one short line: primitives as themselves, collections as compact JSON. */
export function formatValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'string') return v;
  if (typeof v !== 'object') return String(v);
  if (isImmutable(v)) return JSON.stringify((v as { toJS(): unknown }).toJS());
  return JSON.stringify(v);
}

function child(prefix: string, key: unknown): string {
  if (typeof key === 'number') return `${prefix.endsWith('.') ? prefix.slice(0, -1) : prefix}[${key}]`;
  return `${prefix}${String(key)}`;
}

/**
 * Appends to `out` the changed leaves between `a` and `b` under the path `prefix`
 * (a prefix ends with '.' or is empty).
 */
export function diffValues(a: unknown, b: unknown, prefix: string, out: Change[]): void {
  if (is(a, b)) return;
  const name = prefix.endsWith('.') ? prefix.slice(0, -1) : prefix;
  if (isRecord(a) && isRecord(b) && Object.getPrototypeOf(a) === Object.getPrototypeOf(b)) {
    const ra = a as unknown as { get(k: string): unknown; toSeq(): { keySeq(): Iterable<string> } };
    const rb = b as unknown as { get(k: string): unknown };
    for (const k of ra.toSeq().keySeq()) diffValues(ra.get(k), rb.get(k), `${prefix}${k}.`, out);
    return;
  }
  if (isList(a) && isList(b) && a.size === b.size) {
    for (let i = 0; i < a.size; i++) diffValues(a.get(i), b.get(i), child(prefix, i) + '.', out);
    return;
  }
  if (isMap(a) && isMap(b)) {
    const keys = new Set<unknown>([...a.keys(), ...b.keys()]);
    for (const k of keys) {
      if (!a.has(k)) out.push({ path: child(prefix, k), before: '(absent)', after: formatValue(b.get(k)) });
      else if (!b.has(k)) out.push({ path: child(prefix, k), before: formatValue(a.get(k)), after: '(absent)' });
      else diffValues(a.get(k), b.get(k), child(prefix, k) + '.', out);
    }
    return;
  }
  out.push({ path: name || '(state)', before: formatValue(a), after: formatValue(b) });
}
