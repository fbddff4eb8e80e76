// Which of a model's own functions this thread is running now: the thread DSL records it
// before it calls a guard, effect, choice or invariant (a few stores, no clock), so that a
// step that never returns can be named — the watchdog (src/cli/watchdog.mjs) asks a busy
// thread through the inspector, which can run this while the thread loops.
import { locationText, type ModelLocation } from './errors.ts';

/** The user code a thread is in: what kind of function, and where (lazily: only read when asked). */
class RunningUserCode {
  private locate: ((tid: number, pc?: number) => ModelLocation) | undefined;
  private tid = -1;
  private pc = -1;
  private what = '';
  /** For an invariant: its model (`what` is then its name). */
  private model = '';

  /** Called before user code runs: `what` it is ('effect', 'guard', …) of thread `tid` at step `pc`. */
  enter(locate: (tid: number, pc?: number) => ModelLocation, tid: number, pc: number, what: string): void {
    this.locate = locate;
    this.tid = tid;
    this.pc = pc;
    this.what = what;
  }

  /** Invariant `name` of model `model` (no thread or step). */
  enterInvariant(model: string, name: string): void {
    this.locate = undefined;
    this.model = model;
    this.what = name;
  }

  /** Called when it returns or throws. */
  leave(): void {
    this.what = '';
  }

  /** `model 'm', thread 't', step 's' (its effect)`, or null outside user code. */
  describe(): string | null {
    if (this.what === '') return null;
    if (this.locate === undefined) return `${locationText({ model: this.model })}, invariant '${this.what}'`;
    return `${locationText(this.locate(this.tid, this.pc))} (its ${this.what})`;
  }
}

/** This thread's record. */
export const runningUserCode = new RunningUserCode();

// Read by the watchdog through the inspector (Runtime.evaluate runs on the busy thread).
(globalThis as { __mmcheckRunningUserCode?: () => string | null }).__mmcheckRunningUserCode = () => runningUserCode.describe();
