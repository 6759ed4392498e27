/**
 * Key lifetimes as the CLI takes them: a whole number followed by m (minutes),
 * h (hours) or d (days), e.g. `30m`, `12h`, `90d`. Anything else is refused
 * rather than guessed at.
 */
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^([1-9][0-9]{0,5})([mhd])$/;
/** Ten years: a longer lifetime is almost certainly a typo. */
export const MAX_KEY_LIFETIME_MS = 3650 * UNIT_MS.d;

export function parseKeyLifetime(text: string): number {
  const match = DURATION.exec(text.trim());
  if (match === null) {
    throw new TypeError(`expected a lifetime like 30m, 12h or 90d, got ${JSON.stringify(text)}`);
  }
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  if (ms > MAX_KEY_LIFETIME_MS) throw new TypeError(`a lifetime of ${text} is longer than the maximum of 3650d`);
  return ms;
}
