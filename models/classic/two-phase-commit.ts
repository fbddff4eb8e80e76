// Two-phase commit exactly as Lamport's TwoPhase.tla (TLA+ Examples, transaction_commit), as a
// raw Model over a Record state: TLC reports 288 distinct states for 3 resource managers.
//
// Variables (TwoPhase.tla): rmState[rm] ∈ {working, prepared, committed, aborted}; tmState ∈
// {init, committed, aborted}; tmPrepared ⊆ RM; msgs, the set of every message ever sent
// ([type: Prepared, rm] from an RM to the TM; [type: Commit] and [type: Abort] broadcast by
// the TM). Messages are never removed, so receiving one twice is allowed (and harmless).
// Actions, with their TLA+ guards (TPNext order):
//   TMCommit            tmState = init ∧ tmPrepared = RM      → tmState committed, send Commit
//   TMAbort             tmState = init                         → tmState aborted, send Abort
//   TMRcvPrepared(rm)   tmState = init ∧ Prepared(rm) ∈ msgs   → tmPrepared ∪= {rm}
//   RMPrepare(rm)       rmState[rm] = working                  → prepared, send Prepared(rm)
//   RMChooseToAbort(rm) rmState[rm] = working                  → aborted (no message)
//   RMRcvCommitMsg(rm)  Commit ∈ msgs                          → rmState[rm] committed
//   RMRcvAbortMsg(rm)   Abort ∈ msgs                           → rmState[rm] aborted
// Like TLC, an action whose successor equals its state (TMRcvPrepared of an RM already in
// tmPrepared, a second receipt of Commit) is a transition: TLC counts those successors in
// "states generated" too.
// Invariants: TPTypeOK (TwoPhase.tla) and TCConsistent (TCommit.tla: no RM has committed
// while another has aborted). variant=eager-commit drops `tmPrepared = RM` from TMCommit's
// guard, and TCConsistent fails in 3 steps (TMCommit, RMChooseToAbort, RMRcvCommitMsg).
import { List, Record, Set as ISet, type RecordOf } from 'immutable';
import { DEADLOCK, defineModel, int, oneOf, type Change, type Model, type Property, type StepInfo } from '../../src/index.ts';
import { diffValues } from '../../src/trace/diff.ts';

/** An RM's state (rmState[rm]). */
export type RmState = 'working' | 'prepared' | 'committed' | 'aborted';
/** The TM's state (tmState). */
export type TmState = 'init' | 'committed' | 'aborted';

interface MessageFields {
  readonly type: 'Prepared' | 'Commit' | 'Abort';
  /** The sender of a Prepared message; null for the TM's broadcasts. */
  readonly rm: number | null;
}
/** A message: [type |-> "Prepared", rm |-> rm], [type |-> "Commit"] or [type |-> "Abort"]. */
export type Message = RecordOf<MessageFields>;
const Message = Record<MessageFields>({ type: 'Commit', rm: null }, 'Message');
const COMMIT = Message({ type: 'Commit' });
const ABORT = Message({ type: 'Abort' });
const preparedMsg = (rm: number): Message => Message({ type: 'Prepared', rm });

interface TwoPhaseFields {
  readonly rmState: List<RmState>;
  readonly tmState: TmState;
  readonly tmPrepared: ISet<number>;
  readonly msgs: ISet<Message>;
}
/** The four variables of TwoPhase.tla. */
export type TwoPhaseState = RecordOf<TwoPhaseFields>;
const TwoPhaseState = Record<TwoPhaseFields>({ rmState: List(), tmState: 'init', tmPrepared: ISet(), msgs: ISet() }, 'TwoPhase');

/** An action: `kind + KINDS * rm` (rm is 0 for the TM's own actions). */
export type TwoPhaseAction = number;

// Action kinds, in TPNext's order (an action is `kind + KINDS * rm`).
/** TMCommit: the TM commits once every RM has prepared. */
export const TM_COMMIT = 0;
/** TMAbort: the TM aborts spontaneously. */
export const TM_ABORT = 1;
/** TMRcvPrepared(rm): the TM records rm's Prepared message. */
export const TM_RCV_PREPARED = 2;
/** RMPrepare(rm): rm prepares and sends Prepared. */
export const RM_PREPARE = 3;
/** RMChooseToAbort(rm): a working rm aborts on its own. */
export const RM_CHOOSE_TO_ABORT = 4;
/** RMRcvCommitMsg(rm): rm obeys the TM's Commit. */
export const RM_RCV_COMMIT_MSG = 5;
/** RMRcvAbortMsg(rm): rm obeys the TM's Abort. */
export const RM_RCV_ABORT_MSG = 6;
const KINDS = 8;
const KIND_NAMES = ['TMCommit', 'TMAbort', 'TMRcvPrepared', 'RMPrepare', 'RMChooseToAbort', 'RMRcvCommitMsg', 'RMRcvAbortMsg'];

/** TPTypeOK's name. */
export const TP_TYPE_OK = 'TPTypeOK';
/** TCConsistent's name. */
export const TC_CONSISTENT = 'TCConsistent';

/** Which TM the model runs. */
export type TwoPhaseVariant = 'two-phase' | 'eager-commit';
/** Variants, the spec's own first. */
export const TWO_PHASE_VARIANTS = ['two-phase', 'eager-commit'] as const;

const RM_STATES: readonly string[] = ['working', 'prepared', 'committed', 'aborted'];
const TM_STATES: readonly string[] = ['init', 'committed', 'aborted'];

/** The RM's name as in TwoPhase.cfg: r1, r2, … */
export function rmName(rm: number): string {
  return `r${rm + 1}`;
}

/**
 * Builds the TwoPhase spec over `rms` resource managers.
 *
 * @example
 *   const r = await check(twoPhaseCommit(3, 'two-phase'));   // 288 distinct states
 */
export function twoPhaseCommit(rms: number, variant: TwoPhaseVariant): Model<TwoPhaseState, TwoPhaseAction> {
  const eager = variant === 'eager-commit';
  const prepared = Array.from({ length: rms }, (_, rm) => preparedMsg(rm));

  const actions = (s: TwoPhaseState): TwoPhaseAction[] => {
    const out: TwoPhaseAction[] = [];
    const tmInit = s.tmState === 'init';
    if (tmInit && (eager || s.tmPrepared.size === rms)) out.push(TM_COMMIT);
    if (tmInit) out.push(TM_ABORT);
    const commitSent = s.msgs.has(COMMIT);
    const abortSent = s.msgs.has(ABORT);
    for (let rm = 0; rm < rms; rm++) {
      const base = KINDS * rm;
      if (tmInit && s.msgs.has(prepared[rm])) out.push(base + TM_RCV_PREPARED);
      const working = s.rmState.get(rm) === 'working';
      if (working) out.push(base + RM_PREPARE, base + RM_CHOOSE_TO_ABORT);
      if (commitSent) out.push(base + RM_RCV_COMMIT_MSG);
      if (abortSent) out.push(base + RM_RCV_ABORT_MSG);
    }
    return out;
  };

  const next = (s: TwoPhaseState, a: TwoPhaseAction): TwoPhaseState => {
    const rm = Math.floor(a / KINDS);
    switch (a % KINDS) {
      case TM_COMMIT:
        return s.merge({ tmState: 'committed', msgs: s.msgs.add(COMMIT) });
      case TM_ABORT:
        return s.merge({ tmState: 'aborted', msgs: s.msgs.add(ABORT) });
      case TM_RCV_PREPARED:
        return s.set('tmPrepared', s.tmPrepared.add(rm));
      case RM_PREPARE:
        return s.merge({ rmState: s.rmState.set(rm, 'prepared'), msgs: s.msgs.add(prepared[rm]) });
      case RM_CHOOSE_TO_ABORT:
        return s.set('rmState', s.rmState.set(rm, 'aborted'));
      case RM_RCV_COMMIT_MSG:
        return s.set('rmState', s.rmState.set(rm, 'committed'));
      case RM_RCV_ABORT_MSG:
        return s.set('rmState', s.rmState.set(rm, 'aborted'));
      default:
        throw new Error(`unknown action ${a}`);
    }
  };

  const formatAction = (_s: TwoPhaseState, a: TwoPhaseAction): string => {
    const kind = a % KINDS;
    return kind <= TM_ABORT ? KIND_NAMES[kind] : `${KIND_NAMES[kind]}(${rmName(Math.floor(a / KINDS))})`;
  };

  const properties: Property<TwoPhaseState, TwoPhaseAction>[] = [
    {
      kind: 'invariant',
      name: TP_TYPE_OK,
      check: (s) => {
        if (s.rmState.size !== rms) return `rmState has ${s.rmState.size} entries, not ${rms}`;
        for (let rm = 0; rm < rms; rm++) {
          if (!RM_STATES.includes(s.rmState.get(rm)!)) return `rmState[${rmName(rm)}] = ${s.rmState.get(rm)}`;
        }
        if (!TM_STATES.includes(s.tmState)) return `tmState = ${s.tmState}`;
        for (const rm of s.tmPrepared) if (!(Number.isInteger(rm) && rm >= 0 && rm < rms)) return `tmPrepared holds ${rm}, not an RM`;
        for (const m of s.msgs) {
          const ok = m.type === 'Prepared' ? m.rm !== null && m.rm >= 0 && m.rm < rms : (m.type === 'Commit' || m.type === 'Abort') && m.rm === null;
          if (!ok) return `msgs holds ${JSON.stringify(m.toJS())}, not a Message`;
        }
        return null;
      },
    },
    {
      kind: 'invariant',
      name: TC_CONSISTENT,
      check: (s) => {
        const committed = s.rmState.findIndex((x) => x === 'committed');
        const aborted = s.rmState.findIndex((x) => x === 'aborted');
        return committed >= 0 && aborted >= 0 ? `${rmName(committed)} committed while ${rmName(aborted)} aborted` : null;
      },
    },
    // TLC checks deadlock by default; TwoPhase never deadlocks (TMAbort or a message receipt is
    // always enabled), and there is no accepted end state.
    { kind: 'deadlock', name: DEADLOCK, isEnd: () => false, explain: (s) => `tmState = ${s.tmState}, rmState = ${s.rmState.join(', ')}` },
  ];

  return {
    name: eager ? `two-phase-commit(${rms}, eager-commit)` : `two-phase-commit(${rms})`,
    initStates: () => [TwoPhaseState({ rmState: List(Array.from({ length: rms }, (): RmState => 'working')) })],
    actions,
    next,
    properties,
    formatAction,
    describeStep: (s, a): StepInfo => {
      const kind = a % KINDS;
      return { actor: kind <= TM_RCV_PREPARED ? 'TM' : rmName(Math.floor(a / KINDS)), label: formatAction(s, a) };
    },
    diff: (a, b): Change[] => {
      const out: Change[] = [];
      diffValues(a, b, '', out);
      return out;
    },
    toJSON: (s) => s.toJS(),
  };
}

export default defineModel({
  name: 'two-phase-commit',
  summary: "Two-phase commit as Lamport's TwoPhase.tla (classic): 288 states for 3 RMs, holds",
  description: `
The TLA+ Examples spec TwoPhase (transaction_commit/TwoPhase.tla): RMs prepare or abort
spontaneously, the TM collects Prepared messages and commits once every RM has prepared, or
aborts at any time before; RMs obey the TM's broadcast. Invariants TPTypeOK and TCConsistent
(no RM committed while another aborted). TLC: 288 distinct states, 1146 states generated,
depth 11 for RM = {r1, r2, r3}. variant=eager-commit lets the TM commit before every RM has
prepared, breaking TCConsistent in 3 steps.`,
  params: {
    rms: int(3, 'resource managers', { min: 1, max: 10 }),
    variant: oneOf(TWO_PHASE_VARIANTS, 'two-phase', "'two-phase' (TwoPhase.tla) or 'eager-commit' (TMCommit without tmPrepared = RM)"),
  },
  expect: { [TP_TYPE_OK]: 'holds', [TC_CONSISTENT]: 'holds', [DEADLOCK]: 'holds' },
  build: ({ rms, variant }) => twoPhaseCommit(rms, variant as TwoPhaseVariant),
});
