// Value codes: every primitive a vector state can hold (small integers, strings, booleans,
// null) as one non-negative 32-bit integer, the same in every thread and every run.
//
// A code is `payload << 2 | kind`: kind 0 is an integer (payload: its zigzag form, so -1 is
// 1 and 1 is 2), kind 1 a string (payload: its id), kind 2 null, false or true. Codes of the
// values models hold most (small integers, null, booleans, the strings of the initial
// state) are below 128, so a packed vector spends one byte on them and the memo tries of
// src/model/memo.ts index their children by code in a small array.
//
// Strings: ids 0…SEEDED_LIMIT-1 are given, in order, to the strings a model seeds (those
// of its initial state, its Record defaults, and any it declares), so every thread that
// builds the model numbers them alike. Any other string gets a hashed id (FNV-1a), which is
// the same everywhere too; two different strings with one hashed id are reported (it would
// merge two states), and the parallel search checks the strings that different threads met
// (`hashedStrings`).

/** Integers a code can hold: [-2^28, 2^28). */
export const MIN_INT = -(2 ** 28);
export const MAX_INT = 2 ** 28 - 1;
export const CODE_NULL = (0 << 2) | 2;
export const CODE_FALSE = (1 << 2) | 2;
export const CODE_TRUE = (2 << 2) | 2;
const SEEDED_LIMIT = 1 << 20;
const HASHED_SPAN = 2 ** 29 - SEEDED_LIMIT;

/** Raised when a value has no code (a float, a huge integer, a collection where a primitive was). */
export class NoCodeError extends Error {
  override name = 'NoCodeError';
}

/** The code of integer `n` (which must be in [MIN_INT, MAX_INT]). */
export function intCode(n: number): number {
  return ((n >= 0 ? n * 2 : -n * 2 - 1) * 4) | 0;
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The string ids of one model: seeded ones in order, hashed ones for the rest. */
export class StringCodes {
  private readonly ids = new Map<string, number>();
  private readonly byId = new Map<number, string>();
  private seeded = 0;
  private readonly hashed: string[] = [];

  /** Gives `s` the next seeded id, unless it has one. Call in the same order in every thread. */
  seed(s: string): void {
    if (this.ids.has(s)) return;
    if (this.seeded >= SEEDED_LIMIT) return;
    const id = this.seeded++;
    this.ids.set(s, id);
    this.byId.set(id, s);
  }

  /** The id of `s`: seeded, or hashed (throws when two strings share a hashed id). */
  id(s: string): number {
    const known = this.ids.get(s);
    if (known !== undefined) return known;
    const id = SEEDED_LIMIT + (fnv1a(s) % HASHED_SPAN);
    const other = this.byId.get(id);
    if (other !== undefined && other !== s) {
      throw new NoCodeError(`the strings '${other}' and '${s}' have the same 29-bit code; rename one, or declare both in the model's 'strings'`);
    }
    this.ids.set(s, id);
    this.byId.set(id, s);
    this.hashed.push(s);
    return id;
  }

  /** The string of an id met before. */
  string(id: number): string {
    const s = this.byId.get(id);
    if (s === undefined) throw new Error(`unknown string code ${id} (a vector from another model?)`);
    return s;
  }

  /** Strings given hashed ids since the last call (for the cross-thread check). */
  takeHashed(): string[] {
    return this.hashed.splice(0, this.hashed.length);
  }

  /** Learns strings another thread hashed; throws if one clashes with a string known here. */
  learn(strings: readonly string[]): void {
    for (const s of strings) this.id(s);
    this.hashed.length = 0;
  }
}

/** The code of a primitive value, or throws NoCodeError. */
export function codeOf(v: unknown, strings: StringCodes): number {
  switch (typeof v) {
    case 'number':
      if (Number.isInteger(v) && v >= MIN_INT && v <= MAX_INT) return intCode(v);
      throw new NoCodeError(Number.isInteger(v) ? `the integer ${v} is outside [${MIN_INT}, ${MAX_INT}]` : `the number ${v} is not an integer`);
    case 'string':
      return strings.id(v) * 4 + 1;
    case 'boolean':
      return v ? CODE_TRUE : CODE_FALSE;
    case 'object':
      if (v === null) return CODE_NULL;
      throw new NoCodeError('a collection where a primitive was');
    default:
      throw new NoCodeError(`a value of type ${typeof v}`);
  }
}

/** The value of a code. */
export function valueOf(code: number, strings: StringCodes): unknown {
  const kind = code & 3;
  const payload = code >>> 2;
  if (kind === 0) return payload & 1 ? -((payload + 1) / 2) : payload / 2;
  if (kind === 1) return strings.string(payload);
  if (kind === 2) {
    if (code === CODE_NULL) return null;
    if (code === CODE_FALSE) return false;
    if (code === CODE_TRUE) return true;
  }
  throw new Error(`invalid value code ${code}`);
}
