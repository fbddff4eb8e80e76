// The HTML page as text: self-contained (nothing fetched), escaped, one row per step and one
// acting cell per row. (test/browser/html.test.ts checks the rendered page in Chromium.)
import { describe, expect, it } from 'vitest';
import { bfs } from '../../src/explore/bfs.ts';
import { threadModel } from '../../src/model/dsl.ts';
import { renderHtml } from '../../src/trace/html.ts';

/** A model whose labels and messages carry HTML metacharacters. */
function nasty() {
  return threadModel<number>({
    name: '<b>nasty</b>',
    shared: 0,
    locks: { 'l<1>': 'spinlock' },
    threads: ['a&b', 'c"d'].map((name) => ({
      name,
      steps: [
        { label: '<script>x</script>', acquire: 'l<1>', release: 'l<1>', do: (c: { shared: number }) => ({ shared: c.shared + 1 }) },
      ],
    })),
    invariants: [{ name: 'x < 2', check: (v) => (v.shared < 2 ? null : `<img src=x> counter=${v.shared}`) }],
  });
}

describe('renderHtml', () => {
  it('escapes every label, name and message and fetches nothing', async () => {
    const model = nasty();
    const r = await bfs(model);
    if (r.status !== 'violated') throw new Error('expected a violation');
    const html = renderHtml(r.violation, { model, modelName: model.name, params: { n: '<2>' } });
    expect(html).not.toMatch(/<script>x/);
    expect(html).not.toMatch(/<img/);
    expect(html).not.toMatch(/<b>nasty/);
    expect(html).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(html).toContain('&lt;img src=x&gt; counter=2');
    // Self-contained: no external script, style, image or link.
    expect(html).not.toMatch(/<[a-z][^>]*\s(src|href)\s*=/i);
    expect(html).toContain("default-src 'none'");
    expect(html.match(/<tr class="step"/g)).toHaveLength(2);
    expect(html.match(/class="lane act/g)).toHaveLength(2);
    expect(html.match(/<th class="lane-header"/g)).toHaveLength(2);
  });
});
