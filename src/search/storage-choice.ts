// Where a search keeps the states it has seen (--storage): all in memory (the default), in
// memory for the recent levels and in a sorted file on disk for the rest (exact, as TLC's
// DiskFPSet), or in memory for the recent levels and a bit array for the rest (bitstate
// hashing, as SPIN's -DBITSTATE: a lower bound, with the probability of a missed state).

/** The storage kinds `--storage` takes. */
export const STORAGE_KINDS = ['ram', 'disk', 'bitstate'] as const;

/** A storage kind. */
export type StorageKind = (typeof STORAGE_KINDS)[number];

/** Bitstate hashing: SPIN's -w (log2 of the bits) and -k (bits set per state) by default. */
export const DEFAULT_BITSTATE_LOG2 = 32;
export const DEFAULT_BITSTATE_HASHES = 3;
/** log2 of the bit array's size: at least 2^10 bits, at most 2^35 (4 GiB, the largest array Node allocates). */
export const BITSTATE_LOG2_RANGE = [10, 35] as const;

/**
 * How a search stores its seen states (SearchOptions.storage).
 *
 * - `ram`: every key in the in-memory table (the default).
 * - `disk`: keys beyond `seenBytes` of table move to a sorted file in `dir` (a temporary
 *   directory removed at the end when not given), and the trace arrays live in a file there;
 *   a level whose successors would take more than `frontierBytes` (default: half of what the
 *   memory budget leaves) is searched in slices from a file there: the same states,
 *   transitions, verdicts and counterexamples as `ram`.
 * - `bitstate`: keys of levels before the one being expanded are kept only as `hashes` bits
 *   each in an array of 2^`log2Bits` bits; a new state whose bits are all set is taken for a
 *   seen one, so the states found are a lower bound (the result says how likely one was missed).
 *
 * @example
 *   await parallelBfs(model, source, { storage: { kind: 'disk', seenBytes: 64 * 2 ** 20 } });
 */
export type StorageChoice =
  | { readonly kind: 'ram' }
  | { readonly kind: 'disk'; readonly dir?: string; readonly seenBytes?: number; readonly frontierBytes?: number }
  | { readonly kind: 'bitstate'; readonly log2Bits?: number; readonly hashes?: number };

/** What a search's storage held and cost, reported with its figures (CheckStats.storage). */
export interface StorageStats {
  readonly kind: 'disk' | 'bitstate';
  /** Times the in-memory table moved its keys to the archive (the file or the bit array). */
  readonly flushes: number;
  /** Keys moved to the archive (distinct for disk). */
  readonly archived: number;
  /** Disk: bytes of the seen-set file and of the trace file at the end, and the most the directory held at once. */
  readonly diskBytes?: number;
  readonly peakDiskBytes?: number;
  /** Disk: levels searched in slices from files (their successors past memory), the slices, and the most bytes those files held at once. */
  readonly frontierLevels?: number;
  readonly frontierSlices?: number;
  readonly frontierPeakBytes?: number;
  /** Disk: where the files were. */
  readonly dir?: string;
  /** Bitstate: the bit array's size (bits) and the bits set per state. */
  readonly bits?: number;
  readonly hashes?: number;
  /** Bitstate: bits per state archived (SPIN's "hash factor": best above 100). */
  readonly hashFactor?: number;
  /** Bitstate: the expected number of new states taken for seen ones (the sum, over every new state looked up, of the chance all its bits were already set). */
  readonly expectedMissed?: number;
  /** Bitstate: the probability that at least one state was missed (1 - e^-expectedMissed). */
  readonly missProbability?: number;
}
