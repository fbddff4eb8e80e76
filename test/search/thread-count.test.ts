// --workers is clamped to the cores the process may run on (issue 18: `--workers 1000` started
// 1,000 threads and 15 GB; `--workers 200` took 12× as long as 2 on kvm 2/2/2).
import { describe, expect, it } from 'vitest';
import { searchThreads } from '../../src/workers/thread-count.ts';

describe('searchThreads', () => {
  it('gives what was asked for up to the core count, silently', () => {
    expect(searchThreads(1, 8)).toEqual({ threads: 1 });
    expect(searchThreads(8, 8)).toEqual({ threads: 8 });
    expect(searchThreads(undefined, 6)).toEqual({ threads: 6 });
  });

  it('lowers a larger request to the core count and says so in one line', () => {
    const c = searchThreads(1000, 2);
    expect(c.threads).toBe(2);
    expect(c.note).toBe('--workers 1000: this machine runs 2 threads at once; using 2 (more search threads than cores only slow the search)');
    expect(searchThreads(3, 1).note).toMatch(/runs 1 thread at once; using 1/);
  });
});
