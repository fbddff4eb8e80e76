// The example model's verdicts, checked with mmcheck's check() as part of `npm test`.
import { expect, test } from 'vitest';
import { check } from 'mmcheck';
import { COHERENCE, PATHS } from 'mmcheck/mm';
import myDriver from '../models/my-driver.ts';

test.each(PATHS)('with the count and sequence check, the device page table stays coherent (path %s)', async (path) => {
  const r = await check(myDriver, { params: { path, faults: 2 } });
  expect(r.status).toBe('holds');
});

test('without the check, a fault maps the page reclaim is taking away', async () => {
  const r = await check(myDriver, { params: { check: false } });
  expect(r.status).toBe('violated');
  expect(r.status === 'violated' && r.violation.property).toBe(COHERENCE);
});
