// Footprint keys: names of the pieces of shared state a step reads or writes, and when two
// such names may denote the same piece (for partial-order reduction).
//
// A key is a field path into the shared state: `seq`, `pte[0]`, `pages[1].ref`; `[*]` is any
// index and `*` alone is everything. Locks are keys too: `lock:ptl[0]`, `lock:*`. A path
// overlaps its extensions: `pte` overlaps `pte[0]` (writing all of pte writes pte[0]).

/** A parsed key: its path segments ('*' matches any one segment, a lone '*' everything). */
export type Footprint = readonly (readonly string[])[];

const cache = new Map<string, readonly string[]>();

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
  if (rest.startsWith('lock:')) {
    out.push('#lock');
    rest = rest.slice(5);
  }
  if (rest === '*') out.push('*');
  else {
    for (const part of rest.split(/[.[\]]+/)) if (part !== '') out.push(part);
    if (out.length === 0 || (out.length === 1 && out[0] === '#lock')) throw new Error(`empty footprint key '${key}'`);
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
