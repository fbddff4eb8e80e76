// The model's own cost: how fast could any engine check this model, if storing, hashing and
// encoding states cost nothing? Runs the search once to collect every expanded state, then
// times only `actions()` + `next()` (the steps, written against Immutable.js) over all of
// them, and the invariants over every state. States/s from that time is a ceiling for any
// engine that runs the model's Immutable.js steps on every state (the immutable engine).
// The vector engine can pass it: it memoises each thread's step on the fields the step
// reads (docs/vector-engine.md), so most states never run the Immutable.js code at all.
//
// Run: node bin/run-ts.js bench/model-ceiling.ts [addresses faults attempts]   (default 2 2 2)
import { buildModel } from '../src/check.ts';
import { bfs } from '../src/explore/bfs.ts';
import { propertiesByKind } from '../src/model/model.ts';
import { count } from '../src/trace/text.ts';
import kvm from '../models/drivers/kvm.ts';

const [addresses, faults, attempts] = (process.argv.slice(2).length ? process.argv.slice(2) : ['2', '2', '2']).map(Number);
const params = { addresses, faults, attempts, path: 'classic' }; // the benchmark's fixed kernel side (models/mm/classic.ts)
const model = buildModel(kvm, params);
const expanded: unknown[] = [];
let last: unknown;
const full = await bfs(model, {
  onTransition: (s) => {
    if (s !== last) expanded.push(s);
    last = s;
  },
});
const { invariants } = propertiesByKind(model);

/** Best of three timings of `fn` over every expanded state (first run warms the JIT). */
function best(fn: (s: unknown) => void): number {
  let min = Infinity;
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    for (const s of expanded) fn(s);
    min = Math.min(min, performance.now() - t0);
  }
  return min;
}
let sink = 0;
const stepsMs = best((s) => {
  const acts = model.actions(s);
  for (const a of acts) sink += model.next(s, a) === s ? 1 : 0;
});
const invMs = best((s) => {
  for (const inv of invariants) sink += inv.check(s) === null ? 0 : 1;
});
const states = full.stats.distinctStates;
const search = full.stats.elapsedMs;
console.log(`kvm addresses=${addresses} faults=${faults} attempts=${attempts}: ${count(states)} states, ${count(full.stats.transitions)} transitions (${count(expanded.length)} expanded)`);
console.log(`search (sequential, with a coverage hook):  ${(search / 1000).toFixed(2)} s  ${count((states * 1000) / search)} states/s`);
console.log(`model steps alone (actions + next):        ${(stepsMs / 1000).toFixed(2)} s  ${count((states * 1000) / stepsMs)} states/s  (${((stepsMs * 1e6) / full.stats.transitions).toFixed(0)} ns a transition)`);
console.log(`invariants alone:                          ${(invMs / 1000).toFixed(2)} s`);
console.log(`ceiling for the immutable engine on one core (steps + invariants; the vector engine memoises them): ${count((states * 1000) / (stepsMs + invMs))} states/s${sink < 0 ? '' : ''}`);
