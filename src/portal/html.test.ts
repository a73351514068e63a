import { describe, expect, it } from 'vitest';
import { html, raw } from './html.ts';

describe('html', () => {
  it.each([
    ['<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    ['" onmouseover="x', '&quot; onmouseover=&quot;x'],
    ["'><img src=x>", '&#39;&gt;&lt;img src=x&gt;'],
    ['a & b', 'a &amp; b'],
  ])('escapes %s', (input, expected) => {
    expect(String(html`<p title="${input}">${input}</p>`)).toBe(`<p title="${expected}">${expected}</p>`);
  });
  it('keeps nested templates and lists, drops null and false', () => {
    const items = ['<a>', 'b'].map((x) => html`<li>${x}</li>`);
    expect(String(html`<ul>${items}${null}${false}${raw('<hr>')}</ul>`)).toBe('<ul><li>&lt;a&gt;</li><li>b</li><hr></ul>');
  });
});
