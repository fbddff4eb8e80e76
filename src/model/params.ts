// Typed model parameters: declared by a model file, parsed from `--param k=v`, checked.
//
// A model file exports a definition whose `params` say each parameter's type, default and
// range; the CLI and the programmatic API both go through `resolveParams`, so an unknown
// name or an ill-typed value gets the same clear error everywhere.

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
  const where = `parameter '${name}' of model '${model}'`;
  switch (spec.type) {
    case 'int': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
      if (!Number.isInteger(n)) throw new ParamError(`${where} must be an integer, got '${String(raw)}' (${spec.doc})`);
      if (spec.min !== undefined && n < spec.min) throw new ParamError(`${where} must be ≥ ${spec.min}, got ${n}`);
      if (spec.max !== undefined && n > spec.max) throw new ParamError(`${where} must be ≤ ${spec.max}, got ${n}`);
      return n;
    }
    case 'bool': {
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === '1' || raw === 'yes') return true;
      if (raw === 'false' || raw === '0' || raw === 'no') return false;
      throw new ParamError(`${where} must be true or false, got '${String(raw)}'`);
    }
    case 'enum': {
      if (typeof raw === 'string' && spec.values.includes(raw)) return raw;
      throw new ParamError(`${where} must be one of ${spec.values.join(', ')}, got '${String(raw)}'`);
    }
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
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(given)) {
    if (!(key in specs)) {
      const hint = suggest(key, names);
      const known = names.length ? `known: ${names.join(', ')}` : 'it takes no parameters';
      throw new ParamError(`unknown parameter '${key}' for model '${model}'${hint ? ` (did you mean '${hint}'?)` : ''}; ${known}`);
    }
  }
  for (const [name, spec] of Object.entries(specs)) {
    out[name] = name in given ? parseOne(name, spec, given[name], model) : spec.default;
  }
  return out as ParamValues<P>;
}

/** Parses `k=v` strings from the command line into a record (values stay strings). */
export function parseParamArgs(args: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of args) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new ParamError(`--param expects name=value, got '${a}'`);
    out[a.slice(0, eq).trim()] = a.slice(eq + 1).trim();
  }
  return out;
}
