// A model file's contract: a default export built with `defineModel`, a factory taking typed
// parameters, checked when the file is loaded (`checkDefinition`). Worker threads import the
// file by path and call `build`, so closures never cross threads.
import type { Model } from './model.ts';
import { checkParamSpecs, suggest, type ParamSpecs, type ParamValues } from './params.ts';
import { ModelError } from './errors.ts';
import { describeValue, echo, isPlainObject, unknownKeys } from './describe.ts';

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

/**
 * A parameter setting of a model with its own expected verdicts (a kernel model against each
 * invalidating path, `{ path: 'dontneed' }`). `mmcheck list` shows one row per variant, and
 * the built-in catalog's test checks each against the checker, as it checks the defaults.
 */
export interface Variant {
  /** Parameter values selecting the variant (merged over the defaults). */
  readonly params: Readonly<Record<string, unknown>>;
  /** Expected verdict per property with these parameters. */
  readonly expect: Readonly<Record<string, Expectation>>;
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
  /** Other parameter settings with their expected verdicts (see Variant). */
  readonly variants?: readonly Variant[];
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

/** Every key a definition may have (tsc checks the list against the interface). */
const DEFINITION_KEYS = ['name', 'summary', 'description', 'kernel', 'params', 'expect', 'variants', 'mutants', 'build'] as const satisfies readonly (keyof ModelDefinition)[];
const definitionKeysComplete: [Exclude<keyof ModelDefinition, (typeof DEFINITION_KEYS)[number]>] extends [never] ? true : never = true;
void definitionKeysComplete;
const MUTANT_KEYS = ['name', 'description', 'params', 'breaks'] as const satisfies readonly (keyof Mutant)[];
const VARIANT_KEYS = ['params', 'expect'] as const satisfies readonly (keyof Variant)[];
const EXPECTATIONS: readonly string[] = ['holds', 'violated'] satisfies Expectation[];

/**
 * Checks a model file's default export when it is loaded, before anything is built or
 * searched: its name, summary, parameter specs, build function, expectations, variants and
 * mutants.
 * Throws a ModelError naming the model (or `label`, the file as given, when the export has
 * no name) and saying what to write instead.
 *
 * @example
 *   checkDefinition(mod.default, "'my-model.ts'");
 */
export function checkDefinition(def: unknown, label: string): asserts def is ModelDefinition {
  const how = 'export default defineModel({ name, summary, params, build })';
  if (!isPlainObject(def)) {
    throw new ModelError({ model: label }, `the default export is ${describeValue(def)}, not a model definition: write ${how}`);
  }
  const name = typeof def.name === 'string' && def.name.length > 0 ? def.name : undefined;
  const fail = (problem: string): never => {
    throw new ModelError({ model: name ?? label }, problem);
  };
  if (name === undefined) fail(`the definition's name is ${describeValue(def.name)}: give it a name (a non-empty string), as in ${how}`);
  const extra = unknownKeys(def, DEFINITION_KEYS);
  if (extra.length > 0) {
    const hint = suggest(extra[0], DEFINITION_KEYS);
    fail(`the definition has an unknown key '${echo(extra[0])}'${hint ? ` (did you mean '${hint}'?)` : ''}; its keys are ${DEFINITION_KEYS.join(', ')}`);
  }
  if (typeof def.summary !== 'string') fail(`the definition's summary is ${describeValue(def.summary)}: give a one-line summary (a string) for 'mmcheck list'`);
  if (def.params === undefined) fail("the definition has no 'params': write `params: {}` for a model without parameters");
  if (typeof def.build !== 'function') fail(`the definition's build is ${describeValue(def.build)}: write build: (params) => threadModel({ … })`);
  if (def.description !== undefined && typeof def.description !== 'string') fail(`the definition's description is ${describeValue(def.description)}: write a string`);
  if (def.kernel !== undefined && (!isPlainObject(def.kernel) || !Array.isArray(def.kernel.functions))) {
    fail(`the definition's kernel is ${describeValue(def.kernel)}: write { functions: ['…'], commits?: ['…'], files?: ['…'] }`);
  }
  checkParamSpecs(def.params, name!);
  /** `expect` (named `key` in messages) is { property: 'holds' | 'violated' }. */
  const checkExpect = (expect: unknown, key: string, owner: string) => {
    if (!isPlainObject(expect)) fail(`${owner} ${key} is ${describeValue(expect)}: write { 'property name': 'holds' | 'violated', … }`);
    for (const [property, verdict] of Object.entries(expect as object)) {
      if (!EXPECTATIONS.includes(verdict as string)) fail(`${key}['${echo(property)}'] is ${describeValue(verdict)}: write 'holds' or 'violated'`);
    }
  };
  const checkSetsDeclared = (params: object, what: string) => {
    for (const p of Object.keys(params)) {
      if (!Object.hasOwn(def.params as object, p)) fail(`${what} sets parameter '${echo(p)}', which the model does not declare; known: ${Object.keys(def.params as object).join(', ') || 'none'}`);
    }
  };
  if (def.expect !== undefined) checkExpect(def.expect, 'expect', "the definition's");
  if (def.variants !== undefined) {
    if (!Array.isArray(def.variants)) fail(`the definition's variants are ${describeValue(def.variants)}: write an array of { params, expect }`);
    (def.variants as unknown[]).forEach((v, i) => {
      const what = `variant ${i + 1}`;
      if (!isPlainObject(v)) return fail(`${what} is ${describeValue(v)}: write { params, expect }`);
      const extraV = unknownKeys(v, VARIANT_KEYS);
      if (extraV.length > 0) fail(`${what} has an unknown key '${echo(extraV[0])}'; a variant's keys are ${VARIANT_KEYS.join(', ')}`);
      if (!isPlainObject(v.params)) fail(`${what}: its params are ${describeValue(v.params)}: write the parameter values that select it, e.g. { path: 'dontneed' }`);
      checkSetsDeclared(v.params as object, what);
      checkExpect(v.expect, `${what}: expect`, 'in');
    });
  }
  if (def.mutants !== undefined) {
    if (!Array.isArray(def.mutants)) fail(`the definition's mutants are ${describeValue(def.mutants)}: write an array of { name, description, params, breaks }`);
    (def.mutants as unknown[]).forEach((m, i) => {
      const what = `mutant ${i + 1}${isPlainObject(m) && typeof m.name === 'string' ? ` ('${echo(m.name)}')` : ''}`;
      if (!isPlainObject(m)) return fail(`${what} is ${describeValue(m)}: write { name, description, params, breaks }`);
      const extraM = unknownKeys(m, MUTANT_KEYS);
      if (extraM.length > 0) fail(`${what} has an unknown key '${echo(extraM[0])}'; a mutant's keys are ${MUTANT_KEYS.join(', ')}`);
      for (const k of ['name', 'description', 'breaks'] as const) if (typeof m[k] !== 'string') fail(`${what}: its ${k} is ${describeValue(m[k])}: write a string`);
      if (!isPlainObject(m.params)) fail(`${what}: its params are ${describeValue(m.params)}: write the parameter values that select it, e.g. { mutant: 'no-seq' }`);
      checkSetsDeclared(m.params as object, what);
    });
  }
}
