// A counterexample as a self-contained HTML page: one swimlane column per thread, one row per
// step, locks held shaded, the changes beside each step and the violated property at the
// bottom; a lasso (liveness counterexample) marks where its loop starts and where it goes
// back. Inline CSS and a few lines of inline JS; no network access, no external files.
import type { Violation } from '../explore/result.ts';
import type { Model } from '../model/model.ts';
import { plainState } from './json.ts';
import { loopEnd, traceSize } from './text.ts';

/** What the page shows besides the violation. */
export interface HtmlContext {
  readonly model?: Model<any, any>;
  readonly modelName: string;
  readonly params?: Readonly<Record<string, unknown>>;
  /** A line on how the trace was chosen (e.g. minimised preemptions). */
  readonly note?: string;
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const CSS = `
:root { --lock: #fff1c2; --lockedge: #e0b020; --act: #e8f1ff; --actedge: #3b7ddd; --bad: #c00000; }
* { box-sizing: border-box; }
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 24px; color: #1d1d1f; }
h1 { font-size: 20px; margin: 0 0 4px; }
.meta { color: #555; margin: 0 0 16px; }
.meta code { background: #f2f2f2; padding: 1px 4px; border-radius: 3px; }
table.trace { border-collapse: separate; border-spacing: 0; width: 100%; table-layout: fixed; }
.trace th, .trace td { border-bottom: 1px solid #e4e4e4; padding: 6px 8px; vertical-align: top; }
.trace thead th { position: sticky; top: 0; background: #fafafa; border-bottom: 2px solid #bbb; text-align: left; z-index: 1; }
.trace th.num, .trace td.num { width: 3em; text-align: right; color: #777; }
.trace th.changes { width: 34%; }
td.lane { border-left: 1px dashed #d0d0d0; }
td.lane.idle { background-image: linear-gradient(#d4d4d4, #d4d4d4); background-repeat: no-repeat; background-position: center; background-size: 2px 100%; }
td.lane.act { background-color: var(--act); box-shadow: inset 3px 0 0 var(--actedge); }
td.lane.locked { background-color: var(--lock); }
td.lane.idle.locked { box-shadow: inset 3px 0 0 var(--lockedge); }
td.lane.preempt { box-shadow: inset 3px 0 0 var(--bad); }
.label { font-weight: 600; }
.kernel { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; color: #0a5c7a; }
.note { font-size: 12px; color: #555; margin-top: 2px; }
.held { font-size: 11px; color: #7a5a00; margin-top: 2px; }
.badge { display: inline-block; font-size: 11px; padding: 0 5px; border-radius: 8px; background: var(--bad); color: #fff; margin-left: 4px; }
ul.diff { margin: 0; padding: 0; list-style: none; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; }
ul.diff .before { color: #888; text-decoration: line-through; }
ul.diff .after { font-weight: 700; }
details summary { cursor: pointer; color: #3b7ddd; font-size: 12px; }
details pre { font-size: 11px; background: #f7f7f7; padding: 6px; overflow: auto; max-height: 24em; }
tr.step:hover td { filter: brightness(0.97); }
.violated { margin-top: 18px; border: 2px solid var(--bad); border-radius: 6px; padding: 10px 14px; background: #fff5f5; }
.violated strong { color: var(--bad); }
.legend { font-size: 12px; color: #555; margin: 8px 0 14px; }
.legend span { display: inline-block; padding: 0 6px; margin-right: 8px; border-radius: 3px; }
tr.loop-mark td { background: #fff8e0; color: #8a5a00; font-weight: 600; font-size: 12px; border-top: 2px solid #e0b020; border-bottom: 2px solid #e0b020; }
tr.step.in-loop td.num { box-shadow: inset -3px 0 0 #e0b020; }
`;

const JS = `
document.getElementById('toggle-states').addEventListener('click', function () {
  var open = this.dataset.open !== '1';
  this.dataset.open = open ? '1' : '0';
  this.textContent = open ? 'hide all states' : 'show all states';
  document.querySelectorAll('details.state').forEach(function (d) { d.open = open; });
});
`;

/**
 * The page for one violation. Lanes are the threads in order of their first step; a thread
 * holds, between two of its steps, the locks it held after the first (locks change only on
 * their holder's own steps).
 *
 * @example
 *   writeFileSync('trace.html', renderHtml(r.violation, { model, modelName: model.name }));
 */
export function renderHtml(v: Violation, ctx: HtmlContext): string {
  const steps = v.trace.steps;
  const lanes: string[] = [];
  for (const s of steps) {
    const a = s.actor ?? '(model)';
    if (!lanes.includes(a)) lanes.push(a);
  }
  const held = new Map<string, readonly string[]>(lanes.map((l) => [l, []]));
  const rows: string[] = [];
  steps.forEach((s, i) => {
    const actor = s.actor ?? '(model)';
    held.set(actor, s.locksHeld ?? []);
    const prev = i > 0 ? (steps[i - 1].actor ?? '(model)') : undefined;
    const cells = lanes.map((lane) => {
      const locks = held.get(lane) ?? [];
      const cls = ['lane', lane === actor ? 'act' : 'idle', locks.length ? 'locked' : '', lane === actor && s.preempts ? 'preempt' : ''].filter(Boolean).join(' ');
      const title = locks.length ? ` title="${escapeHtml(`${lane} holds ${locks.join(', ')}`)}"` : '';
      if (lane !== actor) return `<td class="${cls}" data-lane="${escapeHtml(lane)}"${title}></td>`;
      const parts = [
        `<div><span class="label">${escapeHtml(s.label)}</span>${s.preempts ? `<span class="badge" title="${escapeHtml(prev ?? '')} could have continued">preempts ${escapeHtml(prev ?? '')}</span>` : ''}</div>`,
        s.kernel ? `<div class="kernel">${escapeHtml(s.kernel)}</div>` : '',
        s.note ? `<div class="note">${escapeHtml(s.note)}</div>` : '',
        locks.length ? `<div class="held">holds ${escapeHtml(locks.join(', '))}</div>` : '',
      ];
      return `<td class="${cls}" data-lane="${escapeHtml(lane)}"${title}>${parts.join('')}</td>`;
    });
    const diff = s.changes.length
      ? `<ul class="diff">${s.changes.map((c) => `<li>${escapeHtml(c.path)}: <span class="before">${escapeHtml(c.before)}</span> → <span class="after">${escapeHtml(c.after)}</span></li>`).join('')}</ul>`
      : '<span class="note">(no shared change)</span>';
    const state = `<details class="state"><summary>state after step ${s.index}</summary><pre>${escapeHtml(JSON.stringify(plainState(ctx.model, s.state), null, 2))}</pre></details>`;
    const k = v.trace.loopStart;
    if (k === i) rows.push(loopRow('loop-start', 'loop starts here: the steps below repeat forever'));
    const inLoop = k !== undefined && i >= k ? ' in-loop' : '';
    rows.push(`<tr class="step${inLoop}" data-step="${s.index}" data-actor="${escapeHtml(actor)}"><td class="num">${s.index}</td>${cells.join('')}<td class="changes">${diff}${state}</td></tr>`);
  });
  if (v.trace.loopStart !== undefined) rows.push(loopRow('loop-end', loopEnd(v.trace).replace(/^-- | --$/g, '')));
  const params = Object.entries(ctx.params ?? {});
  const paramText = params.length ? params.map(([k, val]) => `<code>${escapeHtml(k)}=${escapeHtml(String(val))}</code>`).join(' ') : 'defaults';
  const initial = `<details class="state"><summary>initial state</summary><pre>${escapeHtml(JSON.stringify(plainState(ctx.model, v.trace.initial), null, 2))}</pre></details>`;
  const title = `${ctx.modelName}: counterexample to '${v.property}'`;
  function loopRow(id: string, text: string): string {
    return `<tr class="loop-mark" id="${id}"><td class="num">↻</td><td colspan="${lanes.length + 1}">${escapeHtml(text)}</td></tr>`;
  }
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${escapeHtml(ctx.modelName)}: <span id="property">${escapeHtml(v.property)}</span> violated</h1>
<p class="meta">parameters ${paramText} · <span id="size">${escapeHtml(traceSize(v.trace))}</span>${ctx.note ? ` · ${escapeHtml(ctx.note)}` : ''} · <button id="toggle-states" type="button">show all states</button></p>
<div class="legend"><span style="background:var(--act)">thread's step</span><span style="background:var(--lock)">locks held</span><span style="background:var(--bad);color:#fff">preemption</span></div>
${initial}
<table class="trace">
<thead><tr><th class="num">#</th>${lanes.map((l) => `<th class="lane-header" data-lane="${escapeHtml(l)}">${escapeHtml(l)}</th>`).join('')}<th class="changes">changes</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
<div class="violated" id="violated"><strong>violated:</strong> ${escapeHtml(v.property)}: ${escapeHtml(v.message)}</div>
<script>${JS}</script>
</body>
</html>
`;
}
