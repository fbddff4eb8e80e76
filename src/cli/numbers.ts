// The one parser of numeric command-line options, for every command: integers where a count is
// meant (--max-states, --max-depth, --workers, --dot-limit, --violation), positive numbers
// where an amount is (--time-limit, --memory, --progress). Each is a commander argument parser
// that throws a UsageError naming the option and what it takes, so `--max-depth abc` or
// `--workers 0.5` stops before anything runs instead of being ignored or rounded.
import { echo } from '../model/describe.ts';
import { UsageError } from './usage-error.ts';

/**
 * A parser of an integer option with a lower bound.
 *
 * @example
 *   program.option('--max-depth <n>', 'depth bound', integerOption('--max-depth', 0));
 */
export function integerOption(flag: string, min: number): (raw: string) => number {
  return (raw) => {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isSafeInteger(n) || n < min) {
      const why = Number.isFinite(n) && raw.trim() !== '' && !Number.isInteger(n) ? ' (integers only)' : '';
      throw new UsageError(`${flag} must be an integer ≥ ${min}${why}, got '${echo(raw)}'`);
    }
    return n;
  };
}

/** A parser of a positive (not necessarily whole) number, such as seconds or MiB. */
export function positiveOption(flag: string): (raw: string) => number {
  return (raw) => {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be a positive number, got '${echo(raw)}'`);
    return n;
  };
}
