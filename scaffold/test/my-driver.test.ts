// The example model's verdicts, checked with mmcheck's check() as part of `npm test`.
import { expect, test } from 'vitest';
import { check } from 'mmcheck';
import { COHERENCE } from 'mmcheck/mm';
import myDriver from '../models/my-driver.ts';

test('with the count and sequence check, the device page table stays coherent under reclaim', async () => {
  const r = await check(myDriver, { params: { faults: 2 } });
  expect(r.status).toBe('holds');
});

test('without the check, a fault re-maps the page reclaim is taking away', async () => {
  const r = await check(myDriver, { params: { check: false } });
  expect(r.status).toBe('violated');
  expect(r.status === 'violated' && r.violation.property).toBe(COHERENCE);
});
