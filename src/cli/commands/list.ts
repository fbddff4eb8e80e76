// `mmcheck list` and `mmcheck explain <model>`: what the built-in models are and stand for.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { builtinCatalog, importDefinition, loadModel } from '../load.ts';
import { reportError } from '../output.ts';
import type { Expectation, ModelDefinition } from '../../model/definition.ts';

const MARK: Record<Expectation, string> = { holds: 'holds', violated: 'VIOLATED' };

function expectations(def: ModelDefinition): string {
  const e = def.expect ?? {};
  const parts = Object.entries(e).map(([p, v]) => `${p}: ${v}`);
  return parts.length ? parts.join('; ') : '(no expectation declared)';
}

/** `path=dontneed faults=2`: a variant's parameters as -p arguments would give them. */
function paramText(params: Readonly<Record<string, unknown>>): string {
  return Object.entries(params).map(([k, v]) => `${k}=${String(v)}`).join(' ');
}

/** Text of `mmcheck list`: one row per model, one column per property (expected verdict with default parameters), and one row per declared variant. */
export async function listText(): Promise<string> {
  const catalog = await builtinCatalog();
  const defs: { name: string; def: ModelDefinition }[] = [];
  for (const c of catalog) defs.push({ name: c.name, def: await importDefinition(c.file, c.name) });
  const properties: string[] = [];
  for (const { def } of defs) for (const p of Object.keys(def.expect ?? {})) if (!properties.includes(p)) properties.push(p);
  const cols = properties.map((_, i) => `P${i + 1}`);
  const w = Math.max('model'.length, ...defs.map((d) => d.name.length), ...defs.flatMap((d) => (d.def.variants ?? []).map((v) => 2 + paramText(v.params).length)));
  const cw = Math.max(...Object.values(MARK).map((m) => m.length), ...cols.map((c) => c.length));
  const rows: string[] = [];
  rows.push(`${'model'.padEnd(w)}  ${cols.map((c) => c.padEnd(cw)).join('  ')}  mutants`);
  for (const { name, def } of defs) {
    const cells = properties.map((p) => {
      const e = def.expect?.[p];
      return (e ? MARK[e] : '-').padEnd(cw);
    });
    rows.push(`${name.padEnd(w)}  ${cells.join('  ')}  ${String(def.mutants?.length ?? 0).padStart(7)}`);
    rows.push(`${' '.repeat(w)}  ${def.summary}`);
    for (const v of def.variants ?? []) {
      const vcells = properties.map((p) => (v.expect[p] ? MARK[v.expect[p]] : '-').padEnd(cw));
      rows.push(`${('  ' + paramText(v.params)).padEnd(w)}  ${vcells.join('  ')}`.trimEnd());
    }
  }
  rows.push('');
  properties.forEach((p, i) => rows.push(`${cols[i]} = ${p}`));
  rows.push("Expected verdicts with default parameters, then with each variant's (indented: -p name=value); '-' = not declared. 'mmcheck explain <model>' tells more, 'mmcheck mutants <model>' checks its near misses.");
  return rows.join('\n');
}

/** The leading comment block of a model file (its header: the kernel functions and commits it models). */
export function fileHeader(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return '';
  }
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('//')) break;
    out.push(line.replace(/^\/\/ ?/, ''));
  }
  return out.join('\n').trim();
}

/** Text of `mmcheck explain <model>`; `header` is the model file's leading comment, if known. */
export function explainText(def: ModelDefinition, header?: string): string {
  const lines = [`${def.name}: ${def.summary}`];
  if (header) lines.push('', header);
  if (def.description) lines.push('', def.description.trim());
  if (def.kernel) {
    lines.push('', `kernel functions: ${def.kernel.functions.join(', ')}`);
    if (def.kernel.files?.length) lines.push(`kernel files: ${def.kernel.files.join(', ')}`);
    if (def.kernel.commits?.length) lines.push(`commits: ${def.kernel.commits.join('; ')}`);
  }
  const params = Object.entries(def.params);
  if (params.length) {
    lines.push('', 'parameters:');
    for (const [k, p] of params) {
      const values = p.type === 'enum' ? ` one of ${p.values.join('|')};` : '';
      lines.push(`  ${k} (${p.type},${values} default ${String(p.default)}): ${p.doc}`);
    }
  }
  const e = Object.entries(def.expect ?? {});
  lines.push('', e.length ? 'expected with default parameters:' : `expected: ${expectations(def)}`);
  for (const [p, v] of e) lines.push(`  ${v.padEnd(8)}  ${p}`);
  for (const v of def.variants ?? []) {
    const broken = Object.entries(v.expect).filter(([, x]) => x === 'violated').map(([p]) => p);
    lines.push(`  with -p ${paramText(v.params).replace(/ /g, ' -p ')}: ${broken.length ? `violated: ${broken.join(', ')}` : 'every property holds'}`);
  }
  if (def.mutants?.length) {
    lines.push('', 'mutants (each must break the named property; mmcheck mutants checks them):');
    for (const m of def.mutants) lines.push(`  ${m.name}: ${m.description} → breaks '${m.breaks}'`);
  }
  return lines.join('\n');
}

/** Registers `list` and `explain`. */
export function registerList(program: Command, setExit: (code: number) => void): void {
  program
    .command('list')
    .description('list the built-in models with their expected verdict per property')
    .action(async () => {
      try {
        process.stdout.write((await listText()) + '\n');
      } catch (e) {
        setExit(reportError(e, false));
      }
    });
  program
    .command('explain')
    .description('print what a model stands for in the kernel (its file header), its parameters, expected verdicts and mutants')
    .argument('<model>', 'a built-in model name or a path to a .ts model file')
    .action(async (spec: string) => {
      try {
        const loaded = await loadModel(spec);
        process.stdout.write(explainText(loaded.def, fileHeader(loaded.file)) + '\n');
      } catch (e) {
        setExit(reportError(e, false));
      }
    });
}
