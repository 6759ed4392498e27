/**
 * The console's one way to build HTML: the `html` tagged template escapes every
 * interpolated value as text (statements, parameter values, names and rows are
 * attacker-controlled), unless the value is itself an `Html` fragment built the same
 * way. There is no other constructor of `Html` from a plain string, so no page can
 * put unescaped text into markup.
 */
export class Html {
  readonly #text: string;

  private constructor(text: string) {
    this.#text = text;
  }

  /** Only this module builds fragments: from escaped text and other fragments. */
  static fromTemplate(strings: TemplateStringsArray, values: readonly unknown[]): Html {
    let out = strings[0] ?? '';
    for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '');
    return new Html(out);
  }

  toString(): string {
    return this.#text;
  }
}

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text safe inside element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** A value in a template: a fragment as it is, a list joined, nothing for undefined/null/false, text and numbers escaped. */
function render(value: unknown): string {
  if (value instanceof Html) return value.toString();
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === undefined || value === null || value === false) return '';
  if (typeof value === 'string') return escapeHtml(value);
  if (typeof value === 'number' || typeof value === 'bigint' || value === true) return escapeHtml(String(value));
  throw new TypeError(`html: cannot render a ${typeof value} as text`);
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  return Html.fromTemplate(strings, values);
}
