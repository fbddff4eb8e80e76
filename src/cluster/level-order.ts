// The order of a level across nodes. Each owner sends its new states' order keys — (parent's
// position, action) as position × 65536 + action, sorted — and the coordinator merges them:
// a state's position in the level is its rank among all owners' keys, which is the position
// the search on one thread gives it (its level is in (parent position, action) order too).

/** A point of a level: the state at `pos`, before its action `action`. */
export interface StopPoint {
  readonly pos: number;
  readonly action: number;
}

/** The order key of (pos, action). */
export function orderKey(pos: number, action: number): number {
  return pos * 65536 + action;
}

/** The merged level: each owner's states' positions, and every key in order. */
export interface MergedLevel {
  readonly positions: Uint32Array[];
  readonly keys: Float64Array;
}

/** Merges the owners' sorted keys (`orders[k]` from node k). */
export function mergeOrders(orders: readonly Float64Array[]): MergedLevel {
  const total = orders.reduce((n, o) => n + o.length, 0);
  const keys = new Float64Array(total);
  const positions = orders.map((o) => new Uint32Array(o.length));
  const at = orders.map(() => 0);
  for (let r = 0; r < total; r++) {
    let best = -1;
    let bestKey = Infinity;
    for (let k = 0; k < orders.length; k++) {
      if (at[k] < orders[k].length && orders[k][at[k]] < bestKey) {
        bestKey = orders[k][at[k]];
        best = k;
      }
    }
    keys[r] = bestKey;
    positions[best][at[best]++] = r;
  }
  return { positions, keys };
}

/** States of the merged level that come before `p` (their parent's position, action). */
export function keysBefore(keys: Float64Array, p: StopPoint): number {
  const x = orderKey(p.pos, p.action);
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The point that found the level's new state number `room + 1`, or undefined when it has no more than `room`. */
export function cutPoint(keys: Float64Array, room: number): StopPoint | undefined {
  if (keys.length <= room) return undefined;
  const k = keys[room];
  return { pos: Math.floor(k / 65536), action: k % 65536 };
}

/** True when (pos, action) comes before `p`. */
export function precedes(pos: number, action: number, p: StopPoint): boolean {
  return pos < p.pos || (pos === p.pos && action < p.action);
}

/** The order keys of `count` states in a payload (any alignment). */
export function f64Order(payload: Uint8Array, count: number): Float64Array {
  const out = new Float64Array(count);
  new Uint8Array(out.buffer).set(payload.subarray(0, count * 8));
  return out;
}
