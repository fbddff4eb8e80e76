// `mmcheck list` and `mmcheck explain <model>`: what the built-in models are and stand for.
import type { Command } from 'commander';
import { builtinCatalog, importDefinition, loadModel, MODELS_DIR } from '../load.ts';
import { reportError } from '../output.ts';
import type { ModelDefinition } from '../../model/definition.ts';

function expectations(def: ModelDefinition): string {
  const e = def.expect ?? {};
  const parts = Object.entries(e).map(([p, v]) => `${p}: ${v}`);
  return parts.length ? parts.join('; ') : '(no expectation declared)';
}

/** Text of `mmcheck list`. */
export async function listText(): Promise<string> {
  const catalog = await builtinCatalog();
  const rows: string[] = [];
  const w = Math.max(...catalog.map((c) => c.name.length));
  for (const c of catalog) {
    const def = await importDefinition(new URL(c.file, MODELS_DIR).pathname, `'${c.name}'`);
    rows.push(`${c.name.padEnd(w)}  ${def.summary}`);
    rows.push(`${' '.repeat(w)}  expected: ${expectations(def)}`);
  }
  return rows.join('\n');
}

/** Text of `mmcheck explain <model>`. */
export function explainText(def: ModelDefinition): string {
  const lines = [`${def.name}: ${def.summary}`];
  if (def.description) lines.push('', def.description.trim());
  if (def.kernel) {
    lines.push('', `kernel functions: ${def.kernel.functions.join(', ')}`);
    if (def.kernel.files?.length) lines.push(`kernel files: ${def.kernel.files.join(', ')}`);
    if (def.kernel.commits?.length) lines.push(`commits: ${def.kernel.commits.join('; ')}`);
  }
  const params = Object.entries(def.params);
  if (params.length) {
    lines.push('', 'parameters:');
    for (const [k, p] of params) lines.push(`  ${k} (${p.type}, default ${String(p.default)}): ${p.doc}`);
  }
  lines.push('', `expected: ${expectations(def)}`);
  return lines.join('\n');
}

/** Registers `list` and `explain`. */
export function registerList(program: Command, setExit: (code: number) => void): void {
  program
    .command('list')
    .description('list the built-in models with their expected verdicts')
    .action(async () => {
      try {
        process.stdout.write((await listText()) + '\n');
      } catch (e) {
        setExit(reportError(e, false));
      }
    });
  program
    .command('explain')
    .description('print what a model stands for in the kernel, its parameters and expected verdicts')
    .argument('<model>', 'a built-in model name or a path to a .ts model file')
    .action(async (spec: string) => {
      try {
        process.stdout.write(explainText((await loadModel(spec)).def) + '\n');
      } catch (e) {
        setExit(reportError(e, false));
      }
    });
}
