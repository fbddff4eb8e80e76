// Errors raised by user model code, located at the model, thread and step that raised them.
import { describeValue, echo } from './describe.ts';

/** Where in a model something went wrong. */
export interface ModelLocation {
  readonly model: string;
  readonly thread?: string;
  readonly step?: string;
}

/**
 * A model's own code failed (a guard or effect threw, a step produced an invalid state, a
 * step was not deterministic). The message is one line naming model, thread and step; the
 * original error is kept as `cause` for `--debug`.
 */
export class ModelError extends Error {
  override name = 'ModelError';
  constructor(
    readonly where: ModelLocation,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${locationText(where)}: ${problem}`, options);
  }
}

/** `model 'kvm', thread 'fault0', step 'map'` */
export function locationText(where: ModelLocation): string {
  let s = `model '${where.model}'`;
  if (where.thread !== undefined) s += `, thread '${where.thread}'`;
  if (where.step !== undefined) s += `, step '${where.step}'`;
  return s;
}

/** Longest thrown string quoted whole in an error line. */
const THROWN_TEXT_LIMIT = 300;

/**
 * The first line of an error's message, whatever was thrown: an Error's name and message, a
 * thrown string's first line, or what any other value is (`an object (not an Error)`) — never
 * by String(), which throws on an object without a prototype and says `[object Object]` of
 * the rest.
 */
export function errorText(e: unknown): string {
  if (e instanceof Error) return `${e.name === 'Error' ? '' : e.name + ': '}${String(e.message).split('\n')[0]}`;
  if (typeof e === 'string') return echo(e.split('\n')[0], THROWN_TEXT_LIMIT);
  return `${describeValue(e)} (not an Error)`;
}
