// A model file's contract: a default export built with `defineModel`, a factory taking typed
// parameters. Worker threads import the file by path and call `build`, so closures never
// cross threads.
import type { Model } from './model.ts';
import type { ParamSpecs, ParamValues } from './params.ts';

/** Expected verdict of a property, as documented by the model's author. */
export type Expectation = 'holds' | 'violated';

/** What a model stands for in the kernel: functions and commits it follows. */
export interface KernelReference {
  readonly functions: readonly string[];
  readonly commits?: readonly string[];
  readonly files?: readonly string[];
}

/**
 * A named near-miss variant of a correct model: the parameters that select it and the
 * property it must break. `mmcheck mutants <model>` checks that each is caught, so a user
 * sees the model's invariants have teeth.
 */
export interface Mutant {
  readonly name: string;
  /** What the variant changes, in the code's words. */
  readonly description: string;
  /** Parameter values selecting the variant (merged over the defaults). */
  readonly params: Readonly<Record<string, unknown>>;
  /** The property the variant must violate. */
  readonly breaks: string;
}

/** A model file's default export. */
export interface ModelDefinition<P extends ParamSpecs = ParamSpecs> {
  readonly name: string;
  /** One line for `mmcheck list`. */
  readonly summary: string;
  /** Longer explanation for `mmcheck explain`. */
  readonly description?: string;
  readonly kernel?: KernelReference;
  readonly params: P;
  /** Expected verdict per property name with default parameters. */
  readonly expect?: Readonly<Record<string, Expectation>>;
  /** Near-miss variants that must each violate a named property. */
  readonly mutants?: readonly Mutant[];
  build(params: ParamValues<P>): Model<any, any>;
}

/**
 * Declares a model file's default export, inferring parameter types.
 *
 * @example
 *   export default defineModel({
 *     name: 'toy', summary: 'a counter', params: { n: int(2, 'threads') },
 *     build: ({ n }) => threadModel({ ... }),
 *   });
 */
export function defineModel<const P extends ParamSpecs>(def: ModelDefinition<P>): ModelDefinition<P> {
  return def;
}

/** True when a module's export looks like a model definition. */
export function isModelDefinition(x: unknown): x is ModelDefinition {
  return typeof x === 'object' && x !== null && typeof (x as ModelDefinition).build === 'function' && typeof (x as ModelDefinition).name === 'string';
}
