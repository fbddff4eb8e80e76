// Typed model parameters: declared by a model file, parsed from `--param k=v`, checked.
//
// A model file exports a definition whose `params` say each parameter's type, default and
// range; the CLI and the programmatic API both go through `resolveParams`, so an unknown
// name or an ill-typed value gets the same clear error everywhere. Names are looked up as own
// properties only: `constructor`, `toString` or `__proto__` are unknown parameters, not
// inherited ones.
import { describeValue, echo, isPlainObject, unknownKeys } from './describe.ts';

/** One declared parameter. */
export type ParamSpec =
  | { readonly type: 'int'; readonly default: number; readonly min?: number; readonly max?: number; readonly doc: string }
  | { readonly type: 'bool'; readonly default: boolean; readonly doc: string }
  | { readonly type: 'enum'; readonly values: readonly string[]; readonly default: string; readonly doc: string };

export type ParamSpecs = Readonly<Record<string, ParamSpec>>;

/** The resolved values, typed from the specs. */
export type ParamValues<P extends ParamSpecs> = {
  readonly [K in keyof P]: P[K] extends { type: 'int' } ? number : P[K] extends { type: 'bool' } ? boolean : string;
};

/** An integer parameter. @example addresses: int(1, 'unmap threads, one per address', { min: 1, max: 4 }) */
export function int(def: number, doc: string, range: { min?: number; max?: number } = {}): ParamSpec & { type: 'int' } {
  return { type: 'int', default: def, doc, ...range };
}

/** A boolean parameter (`--param name=true|false`). */
export function bool(def: boolean, doc: string): ParamSpec & { type: 'bool' } {
  return { type: 'bool', default: def, doc };
}

/** A parameter taking one of a fixed set of strings. */
export function oneOf<const V extends readonly string[]>(values: V, def: V[number], doc: string): ParamSpec & { type: 'enum' } {
  return { type: 'enum', values, default: def, doc };
}

/** A parameter problem: unknown name or a value of the wrong type or range. */
export class ParamError extends Error {
  override name = 'ParamError';
}

function closest(name: string, names: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const n of names) {
    const d = editDistance(name, n);
    if (d < bestD) {
      bestD = d;
      best = n;
    }
  }
  return bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/** Levenshtein distance (for "did you mean" suggestions). */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

/** Names in `names` close to `name`, best first (for "did you mean …?"). */
export function suggest(name: string, names: readonly string[]): string | undefined {
  return closest(name, names);
}

function parseOne(name: string, spec: ParamSpec, raw: unknown, model: string): number | boolean | string {
  const where = `parameter '${echo(name)}' of model '${model}'`;
  const got = echo(String(raw));
  switch (spec.type) {
    case 'int': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(n)) throw new ParamError(`${where} must be an integer, got '${got}' (${spec.doc})`);
      if (spec.min !== undefined && n < spec.min) throw new ParamError(`${where} must be ≥ ${spec.min}, got ${n}`);
      if (spec.max !== undefined && n > spec.max) throw new ParamError(`${where} must be ≤ ${spec.max}, got ${n}`);
      return n;
    }
    case 'bool': {
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === '1' || raw === 'yes') return true;
      if (raw === 'false' || raw === '0' || raw === 'no') return false;
      throw new ParamError(`${where} must be true or false, got '${got}'`);
    }
    case 'enum': {
      if (typeof raw === 'string' && spec.values.includes(raw)) return raw;
      throw new ParamError(`${where} must be one of ${spec.values.join(', ')}, got '${got}'`);
    }
  }
}

const SPEC_KEYS: Readonly<Record<ParamSpec['type'], readonly string[]>> = {
  int: ['type', 'default', 'doc', 'min', 'max'],
  bool: ['type', 'default', 'doc'],
  enum: ['type', 'values', 'default', 'doc'],
};

/** What is wrong with one declared parameter spec, or null when it is well formed. */
function specProblem(spec: unknown): string | null {
  const how = 'declare it with int(default, doc), bool(default, doc) or oneOf(values, default, doc)';
  if (!isPlainObject(spec) || typeof spec.type !== 'string' || !Object.hasOwn(SPEC_KEYS, spec.type)) {
    return `is declared as ${describeValue(spec)}${isPlainObject(spec) ? ` with type ${describeValue(spec.type)}` : ''}: ${how}`;
  }
  const extra = unknownKeys(spec, SPEC_KEYS[spec.type as ParamSpec['type']]);
  if (extra.length > 0) return `has an unknown key '${echo(extra[0])}' (a ${spec.type} parameter has ${SPEC_KEYS[spec.type as ParamSpec['type']].join(', ')}): ${how}`;
  if (typeof spec.doc !== 'string') return `has no doc string (got ${describeValue(spec.doc)}): ${how}`;
  const d = spec.default;
  switch (spec.type) {
    case 'int': {
      for (const bound of ['min', 'max'] as const) {
        if (spec[bound] !== undefined && !Number.isSafeInteger(spec[bound])) return `has ${bound} ${describeValue(spec[bound])}: a bound is an integer`;
      }
      if (!Number.isSafeInteger(d)) return `has default ${describeValue(d)}: an int parameter's default is an integer`;
      const n = d as number;
      if (spec.min !== undefined && n < (spec.min as number)) return `: its default ${n} is below its min ${String(spec.min)}`;
      if (spec.max !== undefined && n > (spec.max as number)) return `: its default ${n} is above its max ${String(spec.max)}`;
      return null;
    }
    case 'bool':
      return typeof d === 'boolean' ? null : `has default ${describeValue(d)}: a bool parameter's default is true or false`;
    default: {
      const vs = spec.values;
      if (!Array.isArray(vs) || vs.length === 0 || vs.some((x) => typeof x !== 'string')) return `has values ${describeValue(vs)}: oneOf takes a non-empty array of strings`;
      return typeof d === 'string' && vs.includes(d) ? null : `has default ${describeValue(d)}, which is not one of its values (${vs.join(', ')})`;
    }
  }
}

/**
 * Checks a model's declared parameters when the model is loaded, so a malformed spec is an
 * error at once instead of `-p` being silently ignored. Throws a ParamError naming the model,
 * the parameter and what to write.
 *
 * @example
 *   checkParamSpecs({ faults: 2 } as never, 'kvm'); // throws: parameter 'faults' is declared as 2 (a number): …
 */
export function checkParamSpecs(specs: unknown, model: string): asserts specs is ParamSpecs {
  if (!isPlainObject(specs)) {
    throw new ParamError(`model '${model}': 'params' is ${describeValue(specs)}: write an object of parameters, e.g. { faults: int(1, 'fault threads') }, or {} for none`);
  }
  for (const [name, spec] of Object.entries(specs)) {
    const p = specProblem(spec);
    if (p !== null) throw new ParamError(`model '${model}': parameter '${echo(name)}'${p.startsWith(':') ? '' : ' '}${p}`);
  }
}

/**
 * Resolves user-given parameters against the declared specs: fills defaults, parses strings
 * (from the CLI), rejects unknown names (with a suggestion) and ill-typed values.
 */
export function resolveParams<P extends ParamSpecs>(
  specs: P,
  given: Readonly<Record<string, unknown>>,
  model: string,
): ParamValues<P> {
  const names = Object.keys(specs);
  const out: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(given)) {
    if (!Object.hasOwn(specs, key)) {
      const hint = suggest(key, names);
      const known = names.length ? `known: ${names.join(', ')}` : 'it takes no parameters';
      throw new ParamError(`unknown parameter '${echo(key)}' for model '${model}'${hint ? ` (did you mean '${hint}'?)` : ''}; ${known}`);
    }
  }
  for (const [name, spec] of Object.entries(specs)) {
    out[name] = Object.hasOwn(given, name) ? parseOne(name, spec, given[name], model) : spec.default;
  }
  return out as ParamValues<P>;
}

/**
 * Parses `k=v` strings from the command line into a record (values stay strings). The record
 * has no prototype, so `__proto__=1` is a key like any other (and then an unknown parameter).
 */
export function parseParamArgs(args: readonly string[]): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const a of args) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new ParamError(`--param expects name=value, got '${echo(a)}'`);
    out[a.slice(0, eq).trim()] = a.slice(eq + 1).trim();
  }
  return out;
}
