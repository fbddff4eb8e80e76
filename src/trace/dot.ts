// The state graph of a small model in Graphviz DOT: one node per reachable state, one edge
// per transition labelled with its step; initial states, violations and a counterexample
// path are highlighted.
//
// Meant for models of a few hundred states, to see the shape of a protocol; the graph is
// explored here (breadth-first, its own seen map), independently of the checker's search,
// and refused above a size limit rather than producing a file no one can lay out.
import { propertiesByKind, type Model } from '../model/model.ts';
import type { Trace } from '../explore/result.ts';
import { fingerprintInto } from '../state/fingerprint.ts';
import { plainState } from './json.ts';

/** Default largest state graph `--dot` writes. */
export const DOT_STATE_LIMIT = 5000;

/** The DOT text, or a refusal because the graph is larger than the limit. */
export type DotOutcome =
  | { readonly status: 'ok'; readonly dot: string; readonly states: number; readonly transitions: number }
  | { readonly status: 'too-large'; readonly limit: number; readonly message: string };

function quote(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

function clip(s: string, n: number): string {
  return s.length <= n ? s : s.slice(0, n - 1) + '…';
}

/**
 * A short node label: for thread-DSL states (plain JSON {shared, threads: {name: {at}}, locks})
 * where each thread is and the shared data; otherwise the state's JSON, clipped.
 */
function nodeLabel(plain: unknown): string {
  const p = plain as { shared?: unknown; threads?: Record<string, { at?: unknown }> } | null;
  if (p && typeof p === 'object' && p.threads && typeof p.threads === 'object') {
    const at = Object.entries(p.threads).map(([name, t]) => `${name}@${String(t?.at)}`);
    return `${at.join(' ')}\n${clip(JSON.stringify(p.shared) ?? '', 60)}`;
  }
  return clip(JSON.stringify(plain) ?? String(plain), 60);
}

/**
 * Explores `model` and renders its state graph, or refuses when it has more than `limit`
 * states. States on `highlight` (a counterexample) and their edges are drawn bold red.
 *
 * @example
 *   const out = stateGraphDot(model, { highlight: r.violation.trace });
 *   if (out.status === 'ok') writeFileSync('graph.dot', out.dot);
 */
export function stateGraphDot<S, A>(model: Model<S, A>, options: { limit?: number; highlight?: Trace } = {}): DotOutcome {
  const limit = options.limit ?? DOT_STATE_LIMIT;
  const fp = new Uint32Array(2);
  const keyOf = (s: unknown) => {
    fingerprintInto(s, fp);
    return `${fp[0]}:${fp[1]}`;
  };
  const ids = new Map<string, number>();
  const states: S[] = [];
  const edges: { from: number; to: number; label: string }[] = [];
  const inits = model.initStates();
  for (const s of inits) {
    const k = keyOf(s);
    if (!ids.has(k)) {
      ids.set(k, states.length);
      states.push(s);
    }
  }
  const initCount = states.length;
  for (let i = 0; i < states.length; i++) {
    const s = states[i];
    for (const a of model.actions(s)) {
      const s2 = model.next(s, a);
      const k = keyOf(s2);
      let j = ids.get(k);
      if (j === undefined) {
        j = states.length;
        if (j >= limit) {
          return {
            status: 'too-large',
            limit,
            message: `the state graph has more than ${limit.toLocaleString('en-US')} states; --dot is for small models (use smaller parameters, or raise the limit with --dot-limit)`,
          };
        }
        ids.set(k, j);
        states.push(s2);
      }
      edges.push({ from: i, to: j, label: model.formatAction(s, a) });
    }
  }

  const onPath = new Set<number>();
  const pathEdges = new Set<string>();
  if (options.highlight) {
    let prev = ids.get(keyOf(options.highlight.initial));
    if (prev !== undefined) onPath.add(prev);
    for (const st of options.highlight.steps) {
      const j = ids.get(keyOf(st.state));
      if (j === undefined || prev === undefined) break;
      onPath.add(j);
      pathEdges.add(`${prev}>${j}>${st.action}`);
      prev = j;
    }
  }

  const { invariants, deadlock } = propertiesByKind(model);
  const lines = [
    `digraph ${quote(model.name)} {`,
    '  graph [rankdir=TB, fontname="Helvetica"];',
    '  node [shape=box, style="rounded,filled", fillcolor="#f4f4f4", fontname="Helvetica", fontsize=10];',
    '  edge [fontname="Helvetica", fontsize=9];',
  ];
  states.forEach((s, i) => {
    const broken = invariants.filter((p) => p.check(s) !== null).map((p) => p.name);
    if (deadlock && model.actions(s).length === 0 && !deadlock.isEnd(s)) broken.push(deadlock.name);
    const plain = plainState(model, s);
    const label = `s${i}: ${nodeLabel(plain)}${broken.length ? `\nviolates: ${broken.join(', ')}` : ''}`;
    const attrs = [`label=${quote(label)}`, `tooltip=${quote(JSON.stringify(plain))}`];
    if (broken.length) attrs.push('fillcolor="#ffd6d6"', 'color="#c00000"');
    else if (i < initCount) attrs.push('fillcolor="#d8ecff"');
    if (onPath.has(i)) attrs.push('penwidth=2.5');
    lines.push(`  s${i} [${attrs.join(', ')}];`);
  });
  for (const e of edges) {
    const hot = pathEdges.has(`${e.from}>${e.to}>${e.label}`);
    lines.push(`  s${e.from} -> s${e.to} [label=${quote(e.label)}${hot ? ', color="#c00000", penwidth=2.5, fontcolor="#c00000"' : ''}];`);
  }
  lines.push('}');
  return { status: 'ok', dot: lines.join('\n') + '\n', states: states.length, transitions: edges.length };
}
