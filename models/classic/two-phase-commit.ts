// Two-phase commit exactly as Lamport's TwoPhase.tla (TLA+ Examples, transaction_commit), as a
// raw Model over a Record state: TLC reports 288 distinct states for 3 resource managers.
// The two set-valued variables are held as their characteristic functions over TwoPhase's
// finite sets (a flag per RM, a flag per message), so every state has one fixed layout and
// the vector engine searches the model; `actionParts` splits TPNext into the TM's actions
// and one part per RM, so each part's result is memoised on the few fields it reads.
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
import { List, Record, type RecordOf } from 'immutable';
import { DEADLOCK, defineModel, int, oneOf, type Change, type Model, type Property, type StepInfo } from '../../src/index.ts';
import { diffValues } from '../../src/trace/diff.ts';

/** An RM's state (rmState[rm]). */
export type RmState = 'working' | 'prepared' | 'committed' | 'aborted';
/** The TM's state (tmState). */
export type TmState = 'init' | 'committed' | 'aborted';

interface MessagesFields {
  /** prepared[rm]: [type |-> "Prepared", rm |-> rm] ∈ msgs. */
  readonly prepared: List<boolean>;
  /** [type |-> "Commit"] ∈ msgs. */
  readonly commit: boolean;
  /** [type |-> "Abort"] ∈ msgs. */
  readonly abort: boolean;
}
/**
 * msgs ⊆ Message, as one flag per message of TwoPhase.tla's finite Message set (a Prepared
 * message per RM, Commit, Abort): the subset as its characteristic function, so a state has
 * a fixed layout and the vector engine searches it.
 */
export type Messages = RecordOf<MessagesFields>;
const Messages = Record<MessagesFields>({ prepared: List(), commit: false, abort: false }, 'Messages');

interface TwoPhaseFields {
  readonly rmState: List<RmState>;
  readonly tmState: TmState;
  /** tmPrepared ⊆ RM as its characteristic function: tmPrepared[rm] is rm ∈ tmPrepared. */
  readonly tmPrepared: List<boolean>;
  readonly msgs: Messages;
}
/** The four variables of TwoPhase.tla. */
export type TwoPhaseState = RecordOf<TwoPhaseFields>;
const TwoPhaseState = Record<TwoPhaseFields>({ rmState: List(), tmState: 'init', tmPrepared: List(), msgs: Messages() }, 'TwoPhase');

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
/** Action kinds per RM: an action is `kind + KINDS * rm`. */
export const KINDS = 8;
const KIND_NAMES = ['TMCommit', 'TMAbort', 'TMRcvPrepared', 'RMPrepare', 'RMChooseToAbort', 'RMRcvCommitMsg', 'RMRcvAbortMsg'];

/** An action's name as TwoPhase.tla writes it: `TMCommit`, `RMPrepare(r2)`, … */
export function formatTwoPhaseAction(a: TwoPhaseAction): string {
  const kind = a % KINDS;
  return kind <= TM_ABORT ? KIND_NAMES[kind] : `${KIND_NAMES[kind]}(${rmName(Math.floor(a / KINDS))})`;
}

/** Who takes action `a`: the TM, or an RM by name. */
export function twoPhaseActor(a: TwoPhaseAction): string {
  return a % KINDS <= TM_RCV_PREPARED ? 'TM' : rmName(Math.floor(a / KINDS));
}

/** TPTypeOK's name. */
export const TP_TYPE_OK = 'TPTypeOK';
/** TCConsistent's name. */
export const TC_CONSISTENT = 'TCConsistent';

/** Which TM the model runs. */
export type TwoPhaseVariant = 'two-phase' | 'eager-commit';
/** Variants, the spec's own first. */
export const TWO_PHASE_VARIANTS = ['two-phase', 'eager-commit'] as const;

/** rmState's values. */
export const RM_STATES: readonly string[] = ['working', 'prepared', 'committed', 'aborted'];
/** tmState's values. */
export const TM_STATES: readonly string[] = ['init', 'committed', 'aborted'];

/** True when every RM is in tmPrepared (read RM by RM, stopping at the first that is not). */
function allPrepared(tmPrepared: List<boolean>): boolean {
  for (let rm = 0; rm < tmPrepared.size; rm++) if (!tmPrepared.get(rm)) return false;
  return true;
}

/** A state as TwoPhase.tla's variables: tmPrepared a set of RM names, msgs a set of message records. */
function toTla(s: TwoPhaseState, rms: number): unknown {
  const rm = Array.from({ length: rms }, (_, r) => r);
  return {
    rmState: Object.fromEntries(rm.map((r) => [rmName(r), s.rmState.get(r)])),
    tmState: s.tmState,
    tmPrepared: rm.filter((r) => s.tmPrepared.get(r)).map(rmName),
    msgs: [...rm.filter((r) => s.msgs.prepared.get(r)).map((r) => ({ type: 'Prepared', rm: rmName(r) })), ...(s.msgs.commit ? [{ type: 'Commit' }] : []), ...(s.msgs.abort ? [{ type: 'Abort' }] : [])],
  };
}

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

  // TPNext's disjuncts in parts, each reading only what its guards read: part 0 is the TM's
  // TMCommit and TMAbort; part 1 + rm holds TMRcvPrepared(rm) and rm's own actions. actions()
  // is the parts in order, which is TPNext's order.
  const partActions = (s: TwoPhaseState, part: number): TwoPhaseAction[] => {
    const out: TwoPhaseAction[] = [];
    const tmInit = s.tmState === 'init';
    if (part === 0) {
      if (tmInit && (eager || allPrepared(s.tmPrepared))) out.push(TM_COMMIT);
      if (tmInit) out.push(TM_ABORT);
      return out;
    }
    const rm = part - 1;
    const base = KINDS * rm;
    if (tmInit && s.msgs.prepared.get(rm)) out.push(base + TM_RCV_PREPARED);
    if (s.rmState.get(rm) === 'working') out.push(base + RM_PREPARE, base + RM_CHOOSE_TO_ABORT);
    if (s.msgs.commit) out.push(base + RM_RCV_COMMIT_MSG);
    if (s.msgs.abort) out.push(base + RM_RCV_ABORT_MSG);
    return out;
  };
  const actions = (s: TwoPhaseState): TwoPhaseAction[] => {
    const out: TwoPhaseAction[] = [];
    for (let part = 0; part <= rms; part++) out.push(...partActions(s, part));
    return out;
  };

  const next = (s: TwoPhaseState, a: TwoPhaseAction): TwoPhaseState => {
    const rm = Math.floor(a / KINDS);
    switch (a % KINDS) {
      case TM_COMMIT:
        return s.merge({ tmState: 'committed', msgs: s.msgs.set('commit', true) });
      case TM_ABORT:
        return s.merge({ tmState: 'aborted', msgs: s.msgs.set('abort', true) });
      case TM_RCV_PREPARED:
        return s.set('tmPrepared', s.tmPrepared.set(rm, true));
      case RM_PREPARE:
        return s.merge({ rmState: s.rmState.set(rm, 'prepared'), msgs: s.msgs.set('prepared', s.msgs.prepared.set(rm, true)) });
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

  const formatAction = (_s: TwoPhaseState, a: TwoPhaseAction): string => formatTwoPhaseAction(a);

  const properties: Property<TwoPhaseState, TwoPhaseAction>[] = [
    {
      kind: 'invariant',
      name: TP_TYPE_OK,
      check: (s) => {
        const { rmState, tmState, tmPrepared, msgs } = s;
        if (rmState.size !== rms) return `rmState has ${rmState.size} entries, not ${rms}`;
        for (let rm = 0; rm < rms; rm++) {
          if (!RM_STATES.includes(rmState.get(rm)!)) return `rmState[${rmName(rm)}] = ${rmState.get(rm)}`;
        }
        if (!TM_STATES.includes(tmState)) return `tmState = ${tmState}`;
        if (tmPrepared.size !== rms) return `tmPrepared has ${tmPrepared.size} entries, not ${rms}`;
        for (let rm = 0; rm < rms; rm++) if (typeof tmPrepared.get(rm) !== 'boolean') return `tmPrepared[${rmName(rm)}] = ${tmPrepared.get(rm)}`;
        const { prepared, commit, abort } = msgs;
        if (prepared.size !== rms) return `msgs has ${prepared.size} Prepared flags, not ${rms}`;
        for (let rm = 0; rm < rms; rm++) if (typeof prepared.get(rm) !== 'boolean') return `msgs' Prepared(${rmName(rm)}) flag = ${prepared.get(rm)}`;
        if (typeof commit !== 'boolean' || typeof abort !== 'boolean') return `msgs' Commit/Abort flags = ${commit}/${abort}`;
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
    initStates: () => {
      const none = List(Array.from({ length: rms }, () => false));
      return [TwoPhaseState({ rmState: List(Array.from({ length: rms }, (): RmState => 'working')), tmPrepared: none, msgs: Messages({ prepared: none }) })];
    },
    actions,
    actionParts: { count: rms + 1, actions: partActions },
    strings: [...RM_STATES, ...TM_STATES],
    next,
    properties,
    formatAction,
    describeStep: (_s, a): StepInfo => ({ actor: twoPhaseActor(a), label: formatTwoPhaseAction(a) }),
    diff: (a, b): Change[] => {
      const out: Change[] = [];
      diffValues(a, b, '', out);
      return out;
    },
    toJSON: (s) => toTla(s, rms),
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
