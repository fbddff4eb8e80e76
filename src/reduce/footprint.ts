// Footprint keys: names of the pieces of shared state a step reads or writes, and when two
// such names may denote the same piece (for partial-order reduction).
//
// A key is a field path into the shared state: `seq`, `pte[0]`, `pages[1].ref`; `[*]` is any
// index and `*` alone is everything. Locks are keys too: `lock:ptl[0]`, `lock:*`, and so is
// a thread's own program counter and locals, `thread:vcpu0` (only invariants read another
// thread's). A path overlaps its extensions: `pte` overlaps `pte[0]` (writing all of pte
// writes pte[0]). The size of a List is the pseudo-index `#size`: `pte[#size]`.

/** A parsed key: its path segments ('*' matches any one segment, a lone '*' everything). */
export type Footprint = readonly (readonly string[])[];

const cache = new Map<string, readonly string[]>();
/** Key prefixes naming state outside the shared value, and the first segment they parse to. */
const PREFIXES: readonly (readonly [string, string])[] = [
  ['lock:', '#lock'],
  ['thread:', '#thread'],
];

/**
 * Parses a key into path segments.
 *
 * @example
 *   parseKey('pages[1].ref')   // ['pages', '1', 'ref']
 *   parseKey('lock:ptl[0]')    // ['#lock', 'ptl', '0']
 */
export function parseKey(key: string): readonly string[] {
  const hit = cache.get(key);
  if (hit) return hit;
  let rest = key.trim();
  const out: string[] = [];
  for (const [prefix, segment] of PREFIXES) {
    if (rest.startsWith(prefix)) {
      out.push(segment);
      rest = rest.slice(prefix.length);
      break;
    }
  }
  if (rest === '*') out.push('*');
  else {
    for (const part of rest.split(/[.[\]]+/)) if (part !== '') out.push(part);
    if (out.length === 0 || (out.length === 1 && out[0].startsWith('#'))) throw new Error(`empty footprint key '${key}'`);
  }
  cache.set(key, out);
  return out;
}

/** True when two parsed keys may name overlapping state. */
export function keysOverlap(a: readonly string[], b: readonly string[]): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    // '*' matches any one segment; a path overlaps its extensions, so a lone '*' overlaps all.
    if (a[i] !== b[i] && a[i] !== '*' && b[i] !== '*') return false;
  }
  return true;
}

/** True when some key of `a` overlaps some key of `b`. */
export function footprintsOverlap(a: Footprint, b: Footprint): boolean {
  for (const x of a) for (const y of b) if (keysOverlap(x, y)) return true;
  return false;
}

/** The footprint denoting everything (a step that declares nothing). */
export const EVERYTHING: Footprint = [['*']];

/**
 * True when declared key `declared` covers every access to `path` (an access path as the
 * footprint probe reports it, src/reduce/access-probe.ts): `declared` is a prefix of it,
 * segment by segment, with `*` matching any one segment, or the lone `*`. Unlike
 * `keysOverlap`, a `*` in the *access* matches nothing: reading all of `pte` is not
 * covered by `pte[0]`.
 *
 * @example
 *   covers(parseKey('pte[*]'), ['pte', '1'])   // true
 *   covers(parseKey('pte[0]'), ['pte'])        // false: the access is all of pte
 */
export function covers(declared: readonly string[], path: readonly string[]): boolean {
  if (declared.length === 1 && declared[0] === '*') return true;
  if (declared.length > path.length) return false;
  for (let i = 0; i < declared.length; i++) if (declared[i] !== '*' && declared[i] !== path[i]) return false;
  return true;
}

/** True when some key of `declared` covers `path`. */
export function footprintCovers(declared: Footprint, path: readonly string[]): boolean {
  for (const k of declared) if (covers(k, path)) return true;
  return false;
}

/**
 * The key text of a parsed path, as a model would declare it.
 *
 * @example
 *   keyText(['pages', '1', 'ref'])   // 'pages[1].ref'
 *   keyText(['#lock', 'ptl', '0'])   // 'lock:ptl[0]'
 *   keyText([])                      // '*' (the whole shared state)
 */
export function keyText(path: readonly string[]): string {
  if (path.length === 0) return '*';
  const prefix = PREFIXES.find(([, seg]) => seg === path[0]);
  const start = prefix === undefined ? 0 : 1;
  let out = prefix === undefined ? '' : prefix[0];
  for (let i = start; i < path.length; i++) {
    const seg = path[i];
    const index = /^(\d+|#size)$/.test(seg) || (seg === '*' && i > start);
    out += index ? `[${seg}]` : i === start ? seg : `.${seg}`;
  }
  return out;
}
