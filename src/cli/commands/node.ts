// `mmcheck node --cluster nats://HOST:PORT`: join a NATS cluster as a search node (src/cluster/node.ts).
import type { Command } from 'commander';
import { runNode } from '../../cluster/node.ts';
import { clusterUrl } from '../../cluster/transport.ts';
import { EXIT } from '../exit-codes.ts';
import { reportError } from '../output.ts';
import { UsageError } from '../usage-error.ts';

interface NodeFlags {
  cluster?: string;
  once?: boolean;
  debug?: boolean;
}

/** Registers the command. */
export function registerNode(program: Command, setExit: (code: number) => void): void {
  program
    .command('node')
    .description('serve as a search node of the mmcheck runs offered on a NATS server (check --cluster)')
    .requiredOption('--cluster <url>', 'the NATS server, nats://HOST:PORT')
    .option('--once', 'leave after one run (a Kubernetes Job)')
    .option('--debug', 'print stack traces of errors')
    .action(async (flags: NodeFlags) => setExit(await nodeCommand(flags)));
}

async function nodeCommand(flags: NodeFlags): Promise<number> {
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    let url: string;
    try {
      url = clusterUrl(flags.cluster!);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    return await runNode({ url, once: flags.once, signal: abort.signal, status: (line) => process.stderr.write(`${line}\n`) });
  } catch (e) {
    if (e instanceof UsageError) return reportError(e, flags.debug ?? false);
    process.stderr.write(`mmcheck: node: ${(e as Error).message}\n`);
    return EXIT.INCOMPLETE;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
