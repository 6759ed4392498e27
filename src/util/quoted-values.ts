/**
 * A database message with the values it quotes taken out, for a role with rules on
 * what it reads: `invalid input syntax for type integer: "x"` → `... integer: "…"`.
 * A quoted span runs from the first quote of its kind to the last one, so a value that
 * itself holds that quote cannot end the span early and leave its tail in the text.
 * Hex byte sequences (`0xe9 0x41`, in encoding errors) are values too.
 */
export function withoutQuotedValues(message: string, quotes: readonly string[]): string {
  let shown = '';
  let rest = message;
  for (;;) {
    let quote: string | undefined;
    let start = -1;
    for (const q of quotes) {
      const at = rest.indexOf(q);
      if (at >= 0 && (start < 0 || at < start)) [quote, start] = [q, at];
    }
    if (quote === undefined) break;
    const end = rest.lastIndexOf(quote);
    shown += `${rest.slice(0, start)}${quote}…${quote}`;
    rest = end > start ? rest.slice(end + quote.length) : '';
  }
  return (shown + rest).replace(/\b0x[0-9a-f]+/giu, '0x…');
}
