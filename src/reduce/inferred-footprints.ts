// Footprints inferred for steps and invariants that declare none: the keys the footprint
// probe saw them touch, widened to `[*]` when a second index of one List shows up, in a form
// that crosses threads (JSON) so every search thread reduces with the same footprints.
import { covers, keyText, parseKey, type Footprint } from './footprint.ts';

/** What was inferred, by thread name and step label, and by invariant name (key texts). */
export interface InferredFootprints {
  readonly steps: Readonly<Record<string, Readonly<Record<string, InferredStep>>>>;
  readonly invariants: Readonly<Record<string, readonly string[]>>;
  /**
   * By thread name and step label: the labels a step's effect was seen to jump to (its
   * `goto`) beyond its static successors, for steps that declare no `targets`.
   */
  readonly jumps?: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
}

/** The keys one step was seen to read and to assign. */
export interface InferredStep {
  readonly reads: readonly string[];
  readonly writes: readonly string[];
}

/** No footprint inferred yet. */
export const NOTHING_INFERRED: InferredFootprints = { steps: {}, invariants: {} };

const isIndex = (seg: string) => seg === '*' || /^\d+$/.test(seg);

/**
 * A growing set of keys (parsed paths). Adding a path already covered changes nothing; a
 * path that differs from a key only in one List index replaces it by the key with `*` there
 * (`pte[0]` then `pte[1]` gives `pte[*]`): a step that touched two addresses will likely
 * touch others, and each key learned late costs a search (footprint-inference.ts).
 */
export class KeySet {
  private readonly keys = new Map<string, readonly string[]>();

  constructor(texts: readonly string[] = []) {
    for (const t of texts) this.keys.set(t, parseKey(t));
  }

  /** Adds `path`; true when the set grew (it did not cover `path`). */
  add(path: readonly string[]): boolean {
    for (const k of this.keys.values()) if (covers(k, path)) return false;
    let wide: readonly string[] = path;
    for (const k of this.keys.values()) {
      if (k.length !== path.length) continue;
      let at = -1;
      for (let i = 0; i < k.length && at !== -2; i++) if (k[i] !== path[i]) at = at === -1 && isIndex(k[i]) && isIndex(path[i]) ? i : -2;
      if (at >= 0) {
        wide = [...path.slice(0, at), '*', ...path.slice(at + 1)];
        break;
      }
    }
    for (const [t, k] of this.keys) if (covers(wide, k)) this.keys.delete(t);
    this.keys.set(keyText(wide), wide);
    return true;
  }

  /** The keys, as a footprint. */
  get footprint(): Footprint {
    return [...this.keys.values()];
  }

  /** The keys, as texts (sorted). */
  texts(): string[] {
    return [...this.keys.keys()].sort();
  }
}

const MARKER = 'footprint inference: ';

/** What one search saw beyond the footprints it was given (to add, then search again). */
export interface FootprintGrowth {
  readonly thread?: string;
  readonly step?: string;
  readonly invariant?: string;
  readonly reads: readonly string[];
  readonly writes: readonly string[];
  /** Labels the step's effect jumped to, beyond what was learned (it declares no `targets`). */
  readonly jumps?: readonly string[];
}

/**
 * The message of the error that ends a search whose inferred footprints fell short (read
 * back by `growthOf`; errors from worker threads cross as messages only).
 */
export function growthMessage(g: FootprintGrowth): string {
  return MARKER + JSON.stringify(g);
}

/** The growth an error message carries, or null when it is another error. */
export function growthOf(message: string): FootprintGrowth | null {
  const i = message.indexOf(MARKER);
  if (i < 0) return null;
  try {
    return JSON.parse(message.slice(i + MARKER.length)) as FootprintGrowth;
  } catch {
    return null;
  }
}
