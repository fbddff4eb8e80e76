// setFields is Record.merge for plain objects of fields, made fast for model steps.
import { describe, expect, it } from 'vitest';
import { List, Record, is } from 'immutable';
import { setFields } from '../../src/model/records.ts';
import { fingerprintBig } from '../../src/state/fingerprint.ts';

const Page = Record({ ref: 0, state: 'unused', owners: List<number>() }, 'Page');

describe('setFields', () => {
  it('gives what merge gives, and keeps the Record class', () => {
    const p = Page({ ref: 2, state: 'live' });
    const q = setFields(p, { ref: 0, state: 'freed' });
    expect(is(q, p.merge({ ref: 0, state: 'freed' }))).toBe(true);
    expect(q).toBeInstanceOf(Page);
    expect(p.ref).toBe(2); // the original is untouched
    expect(fingerprintBig(q)).toBe(fingerprintBig(Page({ ref: 0, state: 'freed' })));
  });

  it('returns the same object when nothing changes (so no new state is made)', () => {
    const p = Page({ ref: 1 });
    expect(setFields(p, { ref: 1 })).toBe(p);
  });
});
