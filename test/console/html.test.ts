/**
 * The console's one HTML builder: every interpolated value is text, so a statement, a
 * parameter value or a key name can never become markup or an attribute.
 */
import { describe, expect, it } from 'vitest';
import { escapeHtml, html } from '../../src/console/html.js';

describe('html tagged template', () => {
  it('escapes markup and both quote kinds in every interpolated string', () => {
    const attack = `<img src=x onerror="alert(1)"> ' & </pre>`;
    const out = html`<p title="${attack}">${attack}</p>`.toString();
    expect(out).not.toContain('<img');
    expect(out).not.toContain('"alert');
    expect(out).toBe(`<p title="${escapeHtml(attack)}">${escapeHtml(attack)}</p>`);
    expect(escapeHtml(attack)).toBe('&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &#39; &amp; &lt;/pre&gt;');
  });

  it('keeps fragments built by html as they are, escapes once, and joins lists', () => {
    const item = (text: string): ReturnType<typeof html> => html`<li>${text}</li>`;
    expect(html`<ul>${['a<b', 'c&d'].map(item)}</ul>`.toString()).toBe('<ul><li>a&lt;b</li><li>c&amp;d</li></ul>');
  });

  it('renders nothing for undefined, null and false, and refuses an object rather than guess', () => {
    expect(html`${undefined}${null}${false}${0}`.toString()).toBe('0');
    expect(() => html`${{ toString: () => '<b>' }}`).toThrow(TypeError);
  });
});
