// The memory budget of a run: the resident memory of all of it — this process (its heaps,
// shared buffers, code, every thread) as the kernel counts it, plus what the run holds
// outside it (the supervisor process, bin/mmcheck.js). A search stops when this process's
// resident memory reaches the budget less a headroom (checked by the CLI's watchdog thread
// every 50 ms, by the main thread between ranges, and before each large allocation, which
// is weighed before it is made), and says where the memory went in terms that add up to the
// resident total.
import { getHeapStatistics } from 'node:v8';
import { totalmem } from 'node:os';

/** One part of the memory a search holds, for the message that says where it went. */
export interface MemoryTerm {
  readonly name: string;
  readonly bytes: number;
}

/** The default budget: this share of the machine's memory (or of the process's cgroup limit). */
const DEFAULT_SHARE = 0.75;
/** What a search needs beyond what is resident when it starts, at least. */
export const MIN_SEARCH_BYTES = 16 * 2 ** 20;

/** MiB, with a decimal below 10 (a term of 0.4 MiB is not 0). */
const mib = (bytes: number) => (Math.abs(bytes) < 10 * 2 ** 20 ? (bytes / 2 ** 20).toFixed(1) : Math.round(bytes / 2 ** 20).toLocaleString('en-US'));

/** The memory the machine gives this process: its cgroup limit if it has one, else all of it. */
function machineBytes(): number {
  const constrained = (process as { constrainedMemory?: () => number | undefined }).constrainedMemory?.();
  const total = totalmem();
  return constrained !== undefined && constrained > 0 && constrained < total ? constrained : total;
}

/**
 * A run's memory budget, as a search weighs it.
 *
 * @example
 *   const budget = new MemoryBudget(300 * 2 ** 20, supervisorBytes);
 *   if (!budget.fits(tableBytes)) stop('memory');
 */
export class MemoryBudget {
  /** The whole run's budget. */
  readonly budgetBytes: number;
  /** Whether it was given (--memory) or is the default. */
  readonly given: boolean;
  /** This process's resident memory at which a search stops: the budget, less what is outside this process, less a headroom for the ~50 ms it takes to stop. */
  readonly stopAtBytes: number;

  /**
   * @param budgetBytes the budget (undefined: 75% of the machine's memory)
   * @param outsideBytes what the run holds outside this process (the supervisor)
   */
  constructor(
    budgetBytes: number | undefined,
    readonly outsideBytes = 0,
  ) {
    this.given = budgetBytes !== undefined;
    this.budgetBytes = budgetBytes ?? Math.floor(machineBytes() * DEFAULT_SHARE);
    const headroom = Math.max(8 * 2 ** 20, this.budgetBytes * 0.05);
    this.stopAtBytes = this.budgetBytes - outsideBytes - headroom;
  }

  /** This process's resident memory now. */
  resident(): number {
    return process.memoryUsage.rss();
  }

  /** True while this process's resident memory plus `extraBytes` about to be allocated stays below the stop threshold. */
  fits(extraBytes = 0): boolean {
    return this.resident() + extraBytes < this.stopAtBytes;
  }

  /** Why a search cannot start within the budget, or null: it needs MIN_SEARCH_BYTES beyond what is resident. */
  tooSmall(what: string): string | null {
    const resident = this.resident();
    if (resident + this.outsideBytes + MIN_SEARCH_BYTES + Math.max(8 * 2 ** 20, this.budgetBytes * 0.05) <= this.budgetBytes) return null;
    const parts = this.outsideBytes > 0 ? ` (this process ${mib(resident)} MiB: Node, mmcheck and the model; the supervisor ${mib(this.outsideBytes)} MiB)` : '';
    const least = Math.ceil((resident + this.outsideBytes + MIN_SEARCH_BYTES) / 0.95 / 2 ** 20 / 16) * 16;
    return `${what} ${mib(this.budgetBytes)}: too small to search in: the run takes ${mib(resident + this.outsideBytes)} MiB before the search starts${parts}; give at least ${least}`;
  }

  /**
   * The line a search that stopped for memory ends with: the resident total against the
   * budget, and the terms that make it up — `known` (the search's own accounting: seen set,
   * trace, frontier, JS heaps …), what the run holds outside this process, and the rest of
   * the resident memory (code, runtime, buffers no term names), so that they add up.
   * `why` says what crossed the line (default: the resident memory reached the threshold).
   */
  reached(known: readonly MemoryTerm[], why?: string): string {
    const resident = this.resident();
    // Terms under 0.05 MiB are left to the rest (they would read 0.0).
    const named = known.filter((t) => t.bytes >= 0.05 * 2 ** 20);
    const sum = named.reduce((n, t) => n + t.bytes, 0);
    const terms = [...named.map((t) => `${t.name} ${mib(t.bytes)}`), `the rest ${mib(resident - sum)} (worker threads' code and runtime, memo tries, other buffers)`];
    if (this.outsideBytes > 0) terms.push(`the supervisor process ${mib(this.outsideBytes)}`);
    const total = resident + this.outsideBytes;
    const source = this.given ? '--memory' : `the default, ${Math.round(DEFAULT_SHARE * 100)}% of this machine's memory; --memory sets it`;
    return `memory budget reached${why !== undefined ? `: ${why}` : ''}: ${mib(total)} MiB resident of the ${mib(this.budgetBytes)} MiB budget (${source}) = ${terms.join(' + ')} MiB`;
  }
}

/** This thread's JS heap as resident memory (for MemoryTerm): the physical size of its heap. */
export function heapResidentBytes(): number {
  return getHeapStatistics().total_physical_size;
}

/**
 * What a search holds at its start, to measure its own memory from: this process's resident
 * memory (Node, mmcheck, the model) and this thread's heap.
 */
export interface MemoryAtStart {
  readonly resident: number;
  readonly heap: number;
}

/** This process's memory now, as a search's starting point. */
export function memoryAtStart(): MemoryAtStart {
  return { resident: process.memoryUsage.rss(), heap: heapResidentBytes() };
}

/**
 * A search's account of its memory: what was resident at its start, the structures it names
 * (`held`: seen set, trace, frontier …), and the growth of the JS heaps since (this thread's,
 * plus the other threads' `otherHeaps`). MemoryBudget.reached adds the rest.
 */
export function searchTerms(start: MemoryAtStart, held: readonly MemoryTerm[], otherHeaps: readonly number[] = []): MemoryTerm[] {
  const heaps = Math.max(0, heapResidentBytes() - start.heap) + otherHeaps.reduce((a, b) => a + b, 0);
  return [
    { name: 'at the start (Node, mmcheck, the model)', bytes: start.resident },
    ...held,
    { name: `JS heaps' growth (${1 + otherHeaps.length} thread${otherHeaps.length === 0 ? '' : 's'})`, bytes: heaps },
  ];
}
