// The mmcheck command: a commander program whose commands each return an exit code.
import { Command, CommanderError } from 'commander';
import { hardExit } from '../explore/exit-guard.ts';
import { EXIT } from './exit-codes.ts';
import { echo } from '../model/describe.ts';
import { registerCheck } from './commands/check.ts';
import { registerList } from './commands/list.ts';
import { registerReplay } from './commands/replay.ts';

// `mmcheck check … | head` closes stdout early: stop quietly instead of crashing on EPIPE.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') hardExit(Number(process.exitCode ?? 0));
    throw e;
  });
}
import { registerMutants } from './commands/mutants.ts';
import { registerBench } from './commands/bench.ts';
import { registerInit } from './commands/init.ts';
import { registerSwarm } from './commands/swarm.ts';
import { registerNode } from './commands/node.ts';

let exitCode: number = EXIT.HOLDS;
const setExit = (code: number) => {
  exitCode = code;
};

const program = new Command('mmcheck')
  .description('explicit-state model checker for Linux mmu_notifier patterns')
  .version('0.1.0')
  .exitOverride()
  .showSuggestionAfterError(true)
  .configureOutput({ writeErr: (s) => process.stderr.write(s.startsWith('error:') ? `mmcheck: ${usageErrorLine(s)}` : s) });

/**
 * One of commander's usage errors as one line: a long word quoted from the command line (a
 * 100 KB option) cut short, and its suggestion, which it prints on a line of its own
 * ("\n(Did you mean --max-states?)"), kept on the error's line.
 */
function usageErrorLine(s: string): string {
  return s.replace(/[^\s'"]{120,}/g, (w) => echo(w)).replace(/\n\(Did you mean (.+?)\?\)/, ' (did you mean $1?)');
}

registerCheck(program, setExit);
registerList(program, setExit);
registerReplay(program, setExit);
registerMutants(program, setExit);
registerBench(program, setExit);
registerInit(program, setExit);
registerSwarm(program, setExit);
registerNode(program, setExit);
program.addHelpText(
  'after',
  '\nExit codes: 0 every property holds · 1 a property is violated · 2 bad usage or bad model · 3 incomplete (a limit was hit) · 130 second Ctrl-C',
);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    const ok = e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help';
    exitCode = ok ? EXIT.HOLDS : EXIT.USAGE;
  } else {
    process.stderr.write(`mmcheck: error: ${(e as Error)?.message ?? String(e)}\n`);
    exitCode = EXIT.USAGE;
  }
}
process.exitCode = exitCode;
