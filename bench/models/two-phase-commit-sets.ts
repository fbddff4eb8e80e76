// The benchmark's 'before': two-phase commit as models/classic/two-phase-commit.ts was until
// the vector engine took plain Models, with TwoPhase.tla's tmPrepared and msgs as Immutable
// Sets (of RM numbers, of Message Records). A Set has no fixed layout of slots, so this model
// runs on Immutable values only; bench/plain-model.ts compares it with the flags version on
// both engines. The same spec, actions (in TPNext's order), names and counts: 288 states for
// 3 RMs, 1,745,408 for 8.
import { List, Record, Set as ISet, type RecordOf } from 'immutable';
import { DEADLOCK, defineModel, int, type Change, type Model, type Property } from '../../src/index.ts';
import { diffValues } from '../../src/trace/diff.ts';
import {
  KINDS,
  RM_CHOOSE_TO_ABORT,
  RM_PREPARE,
  RM_RCV_ABORT_MSG,
  RM_RCV_COMMIT_MSG,
  RM_STATES,
  TC_CONSISTENT,
  TM_ABORT,
  TM_COMMIT,
  TM_RCV_PREPARED,
  TM_STATES,
  TP_TYPE_OK,
  formatTwoPhaseAction,
  rmName,
  twoPhaseActor,
  type RmState,
  type TmState,
} from '../../models/classic/two-phase-commit.ts';

interface MessageFields {
  readonly type: 'Prepared' | 'Commit' | 'Abort';
  /** The sender of a Prepared message; null for the TM's broadcasts. */
  readonly rm: number | null;
}
type Message = RecordOf<MessageFields>;
const Message = Record<MessageFields>({ type: 'Commit', rm: null }, 'Message');
const COMMIT = Message({ type: 'Commit' });
const ABORT = Message({ type: 'Abort' });

interface SetsFields {
  readonly rmState: List<RmState>;
  readonly tmState: TmState;
  readonly tmPrepared: ISet<number>;
  readonly msgs: ISet<Message>;
}
type SetsState = RecordOf<SetsFields>;
const SetsState = Record<SetsFields>({ rmState: List(), tmState: 'init', tmPrepared: ISet(), msgs: ISet() }, 'TwoPhase');

/** TwoPhase over `rms` RMs with Sets. */
function twoPhaseSets(rms: number): Model<SetsState, number> {
  const prepared = Array.from({ length: rms }, (_, rm) => Message({ type: 'Prepared', rm }));
  const actions = (s: SetsState): number[] => {
    const out: number[] = [];
    const tmInit = s.tmState === 'init';
    if (tmInit && s.tmPrepared.size === rms) out.push(TM_COMMIT);
    if (tmInit) out.push(TM_ABORT);
    const commitSent = s.msgs.has(COMMIT);
    const abortSent = s.msgs.has(ABORT);
    for (let rm = 0; rm < rms; rm++) {
      const base = KINDS * rm;
      if (tmInit && s.msgs.has(prepared[rm])) out.push(base + TM_RCV_PREPARED);
      if (s.rmState.get(rm) === 'working') out.push(base + RM_PREPARE, base + RM_CHOOSE_TO_ABORT);
      if (commitSent) out.push(base + RM_RCV_COMMIT_MSG);
      if (abortSent) out.push(base + RM_RCV_ABORT_MSG);
    }
    return out;
  };
  const next = (s: SetsState, a: number): SetsState => {
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
      case RM_RCV_COMMIT_MSG:
        return s.set('rmState', s.rmState.set(rm, 'committed'));
      default: // RMChooseToAbort, RMRcvAbortMsg
        return s.set('rmState', s.rmState.set(rm, 'aborted'));
    }
  };
  const properties: Property<SetsState, number>[] = [
    {
      kind: 'invariant',
      name: TP_TYPE_OK,
      check: (s) => {
        for (let rm = 0; rm < rms; rm++) if (!RM_STATES.includes(s.rmState.get(rm)!)) return `rmState[${rmName(rm)}] = ${s.rmState.get(rm)}`;
        if (s.rmState.size !== rms || !TM_STATES.includes(s.tmState)) return `rmState has ${s.rmState.size} entries; tmState = ${s.tmState}`;
        for (const rm of s.tmPrepared) if (!(Number.isInteger(rm) && rm >= 0 && rm < rms)) return `tmPrepared holds ${rm}, not an RM`;
        for (const m of s.msgs) {
          const ok = m.type === 'Prepared' ? m.rm !== null && m.rm >= 0 && m.rm < rms : m.rm === null;
          if (!ok) return `msgs holds ${JSON.stringify(m.toJS())}, not a Message`;
        }
        return null;
      },
    },
    {
      kind: 'invariant',
      name: TC_CONSISTENT,
      check: (s) => (s.rmState.includes('committed') && s.rmState.includes('aborted') ? 'an RM committed while another aborted' : null),
    },
    { kind: 'deadlock', name: DEADLOCK, isEnd: () => false, explain: (s) => `tmState = ${s.tmState}` },
  ];
  return {
    name: `two-phase-commit-sets(${rms})`,
    initStates: () => [SetsState({ rmState: List(Array.from({ length: rms }, (): RmState => 'working')) })],
    actions,
    next,
    properties,
    formatAction: (_s, a) => formatTwoPhaseAction(a),
    describeStep: (_s, a) => ({ actor: twoPhaseActor(a), label: formatTwoPhaseAction(a) }),
    diff: (a, b) => {
      const out: Change[] = [];
      diffValues(a, b, '', out);
      return out;
    },
  };
}

export default defineModel({
  name: 'two-phase-commit-sets',
  summary: "Two-phase commit as TwoPhase.tla over Immutable Sets (the benchmark's 'before'; no fixed layout): 288 states for 3 RMs, holds",
  params: { rms: int(3, 'resource managers', { min: 1, max: 10 }) },
  expect: { [TP_TYPE_OK]: 'holds', [TC_CONSISTENT]: 'holds', [DEADLOCK]: 'holds' },
  build: ({ rms }) => twoPhaseSets(rms),
});
