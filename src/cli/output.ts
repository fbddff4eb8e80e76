// Where the CLI writes and how: colour only on a TTY, errors as one line unless --debug.
import { ANSI, PLAIN, type Style } from '../trace/text.ts';
import { EXIT } from './exit-codes.ts';
import { UsageError } from './usage-error.ts';
import { ParamError } from '../model/params.ts';
import { ModelError, errorText } from '../model/errors.ts';

/** Style for a stream: ANSI on a TTY unless NO_COLOR is set. */
export function styleFor(stream: NodeJS.WriteStream, colour?: boolean): Style {
  const on = colour ?? (stream.isTTY === true && !process.env.NO_COLOR);
  return on ? ANSI : PLAIN;
}

/** Prints an error as `mmcheck: error: …` (stack only with --debug) and returns exit code 2. */
export function reportError(e: unknown, debug: boolean): number {
  const known = e instanceof UsageError || e instanceof ParamError || e instanceof ModelError;
  const text = known ? (e as Error).message : errorText(e);
  process.stderr.write(`mmcheck: error: ${text}\n`);
  if (debug) {
    const cause = (e as Error)?.cause as Error | undefined;
    process.stderr.write(`${(e as Error)?.stack ?? ''}\n${cause?.stack ? `caused by: ${cause.stack}\n` : ''}`);
  } else if (!known) {
    process.stderr.write('mmcheck: (run again with --debug for the stack trace)\n');
  }
  return EXIT.USAGE;
}
