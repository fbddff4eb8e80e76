// A model as one thread of a level-synchronous search holds it: built once per thread (a
// worker imports the model file and builds it from the parameters; the calling thread uses
// the model it was given), with its properties, its seen-set key, and the state
// representation of the search — the StateCodec for Immutable values, or the vector model
// and its Zobrist keys.
import { livenessPredicates, propertiesByKind, type Model, type PropertiesByKind } from '../model/model.ts';
import type { VectorModel } from '../model/vector.ts';
import { vectorFormOf } from '../model/plain-vector.ts';
import { fingerprintInto } from '../state/fingerprint.ts';
import { ByteSink, StateCodec } from '../state/codec.ts';
import { BlockBuilder, BlockRecycler, KeySet } from './blocks.ts';
import { Zobrist } from '../state/zobrist.ts';
import { persistentSelect, reductionFor } from '../reduce/reduction.ts';
import type { SearchReduction } from '../reduce/search-hooks.ts';
import type { Engine, ModelSource } from './protocol.ts';

/** One thread's model, properties and state representation. */
export interface Loaded extends PropertiesByKind<unknown, unknown> {
  readonly model: Model<unknown, unknown>;
  readonly engine: Engine;
  /** The seen-set key of a state: its fingerprint, or (symmetry) its representative's. */
  readonly keyOf: (state: unknown, out: Uint32Array) => void;
  /** Immutable engine: the codec of frontier states. */
  readonly codec: StateCodec;
  /** Partial-order reduction's persistent subset of the enabled actions (of a state: Immutable, or a vector). */
  readonly select?: (state: unknown, actions: readonly unknown[]) => readonly number[] | null;
  /** Vector engine. */
  readonly vector?: VectorModel<unknown>;
  readonly zobrist?: Zobrist;
  /** This thread's reusable buffers for the search (fresh memory is slow to touch). */
  readonly scratch: ThreadScratch;
  /** Liveness predicates, in the order states are labelled with them (livenessPredicates). */
  readonly predicates: readonly ((state: unknown) => boolean)[];
}

/** What one thread reuses from range to range and level to level of a search. */
export interface ThreadScratch {
  readonly builder: BlockBuilder;
  readonly sink: ByteSink;
  readonly recycler: BlockRecycler;
  /** This thread's candidates of level `candidatesOf`. */
  readonly candidates: KeySet;
  candidatesOf: string;
}

function scratch(): ThreadScratch {
  return { builder: new BlockBuilder(), sink: new ByteSink(1 << 16), recycler: new BlockRecycler(), candidates: new KeySet(), candidatesOf: '' };
}

/** The vector model of `model`, or throws with the reason it has none. */
export function vectorModelOf(model: Model<unknown, unknown>, symmetry: boolean): VectorModel<unknown> {
  const v = vectorFormOf(model, { symmetry });
  if ('reason' in v) throw new Error(v.reason);
  return v;
}

/** The seen-set key of an Immutable state under a vector model: encode, canonicalise, hash. */
export function vectorKey(vm: VectorModel<unknown>, zobrist: Zobrist): (state: unknown, out: Uint32Array) => void {
  const vec = new Int32Array(vm.width);
  const canon = new Int32Array(vm.width);
  return (state, out) => {
    vm.encode(state, vec);
    if (vm.canonical !== undefined) {
      vm.canonical(vec, canon);
      zobrist.full(canon, out);
    } else zobrist.full(vec, out);
  };
}

/**
 * `model` as the calling thread holds it for `source`'s engine and reductions; on Immutable
 * values, `reduction` (built by the caller, as bfs() takes it) in place of `source.reduction`'s.
 */
export function loadedFrom(model: Model<unknown, unknown>, source: ModelSource, reduction?: SearchReduction<unknown, unknown>): Loaded {
  const engine = source.engine ?? 'immutable';
  const codec = new StateCodec();
  for (const s of model.initStates()) codec.learnFrom(s);
  codec.takeNewDescriptors();
  const props = { ...propertiesByKind(model), predicates: livenessPredicates(propertiesByKind(model).liveness) };
  if (engine === 'vector') {
    // Symmetry refused (a model declaring none) is refused as on Immutable values.
    const sym = source.reduction?.symmetry ? reductionFor(model, { symmetry: true }) : undefined;
    if (sym !== undefined && !sym.ok) throw new Error(sym.reason);
    const vector = vectorModelOf(model, source.reduction?.symmetry ?? false);
    if (source.invariantReads !== undefined) vector.shareInvariantReads(source.invariantReads);
    const zobrist = new Zobrist(vector.width);
    // Partial-order reduction: the model's tables prepared as for Immutable values (with the
    // footprints inferred so far), read over vectors.
    const por = source.reduction?.por ? reductionFor(model, { ...source.reduction, symmetry: false }) : undefined;
    const select = por?.ok && por.reduction?.select !== undefined && vector.independence !== undefined ? (persistentSelect(vector.independence) as Loaded['select']) : undefined;
    return { model, engine, codec, vector, zobrist, keyOf: vectorKey(vector, zobrist), select, scratch: scratch(), ...props };
  }
  if (reduction !== undefined) return { model, engine, codec, keyOf: reduction.key ?? fingerprintInto, select: reduction.select, scratch: scratch(), ...props };
  // The coordinator built the same reduction before starting the search, so this succeeds.
  const reduced = reductionFor(model, source.reduction ?? {});
  if (!reduced.ok) throw new Error(reduced.reason);
  return { model, engine, codec, keyOf: reduced.reduction?.key ?? fingerprintInto, select: reduced.reduction?.select, scratch: scratch(), ...props };
}
