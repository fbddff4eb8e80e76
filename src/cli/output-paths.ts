// Output files (--json, --html, --dot) checked before a search starts, so a long run's result
// is never lost to a bad path: the directory exists and is writable, the path is not a
// directory, not the model's own source, and not another output's path.
import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { echo } from '../model/describe.ts';
import { UsageError } from './usage-error.ts';

/** One file an option asks to write. */
export interface OutputFile {
  /** The option, e.g. `--json`. */
  readonly flag: string;
  /** The path as given. */
  readonly file: string;
}

/** `path` with symbolic links resolved as far as it exists (the file itself may not yet). */
function canonical(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    try {
      return resolve(realpathSync(dirname(path)), basename(path));
    } catch {
      return path;
    }
  }
}

/**
 * Throws a UsageError for the first output that cannot or must not be written. `inputs` are
 * files an output must never replace (the model file).
 *
 * @example
 *   checkOutputPaths([{ flag: '--json', file: 'out.json' }], ['/abs/model.ts']);
 */
export function checkOutputPaths(outputs: readonly OutputFile[], inputs: readonly string[], cwd = process.cwd()): void {
  const claimed = new Map<string, string>();
  const sources = new Set(inputs.map((f) => canonical(resolve(cwd, f))));
  for (const { flag, file } of outputs) {
    const shown = `${flag} '${echo(file)}'`;
    const abs = resolve(cwd, file);
    const dir = dirname(abs);
    let dirStat;
    try {
      dirStat = statSync(dir);
    } catch {
      throw new UsageError(`${shown}: the directory '${echo(dir)}' does not exist; create it or give another path`);
    }
    if (!dirStat.isDirectory()) throw new UsageError(`${shown}: '${echo(dir)}' is not a directory`);
    let fileStat;
    try {
      fileStat = statSync(abs);
    } catch {
      fileStat = undefined;
    }
    if (fileStat?.isDirectory()) throw new UsageError(`${shown} is a directory: give a file path, e.g. '${echo(file.replace(/\/*$/, ''))}/result${flag === '--json' ? '.json' : flag === '--html' ? '.html' : '.dot'}'`);
    try {
      accessSync(fileStat ? abs : dir, constants.W_OK);
    } catch (e) {
      throw new UsageError(`${shown}: cannot write ${fileStat ? 'the file' : `in '${echo(dir)}'`} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    const key = canonical(abs);
    if (sources.has(key)) throw new UsageError(`${shown} is the model file itself: writing it would replace the model's source; give another path`);
    const other = claimed.get(key);
    if (other !== undefined) throw new UsageError(`${other} and ${flag} both write '${echo(file)}': give each its own file`);
    claimed.set(key, flag);
  }
}
