/**
 * One record as one line for a person: time, (the instance, when several chains are
 * shown together,) seq, principal, tool, source, decision, outcome, reason, rows,
 * duration. Every field is made printable, so a crafted tool name or principal cannot
 * add lines or terminal escapes.
 */
export function formatAuditLine(line: string, options: { withInstance?: boolean } = {}): string {
  let record: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new TypeError('not an object');
    record = parsed as Record<string, unknown>;
  } catch {
    return `(unparsable line: ${printable(line.slice(0, 80))})`;
  }
  const principal = (record['principal'] ?? {}) as Record<string, unknown>;
  const parts = [field(record['time'])];
  if (options.withInstance === true) parts.push(`[${field(record['instance'])}]`);
  parts.push(
    `#${field(record['seq'])}`,
    `${field(principal['id'])}(${field(principal['kind'])}/${field(principal['role'])})`,
    field(record['tool'] ?? '-'),
  );
  if (record['source'] !== undefined) parts.push(`source=${field(record['source'])}`);
  parts.push(`${field(record['decision'])}/${field(record['outcome'])}`);
  if (record['reason'] !== undefined) parts.push(`reason=${field(record['reason'])}`);
  if (record['rows'] !== undefined) parts.push(`rows=${field(record['rows'])}`);
  if (record['bytes'] !== undefined) parts.push(`bytes=${field(record['bytes'])}`);
  if (record['duration_ms'] !== undefined) parts.push(`${field(record['duration_ms'])}ms`);
  return parts.join(' ');
}

function field(value: unknown): string {
  if (value === undefined || value === null) return '-';
  return printable(typeof value === 'string' ? value : JSON.stringify(value));
}

/** Control, format and line/paragraph-separator characters as visible \u{…} escapes; backslashes doubled. */
export function printable(text: string): string {
  return text.replace(/[\\\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, (ch) => (ch === '\\' ? '\\\\' : `\\u{${ch.codePointAt(0)?.toString(16) ?? ''}}`));
}
