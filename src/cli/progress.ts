import { redactLine } from '../log/redact.js';

/**
 * Progress of a slow CLI step, always on stderr: stdout carries the command's result,
 * and `--json` output must stay machine-readable. On a terminal one line is
 * rewritten in place with `\r`, at most about ten times a second; piped (a file, a CI
 * log) or on TERM=dumb, plain lines instead: one per stage, then at most one per 10 %
 * of it. No colour and no ANSI escape is ever written, so NO_COLOR holds by
 * construction, and a terminal without cursor control still gets readable lines.
 * Every text goes through the redactor and loses its control characters, so a stage
 * naming a URL cannot print a password and a crafted file name cannot move the cursor.
 */

/** What progress is written to: process.stderr, or a fake in tests. */
export interface ProgressStream {
  write(chunk: string): unknown;
  readonly isTTY?: boolean | undefined;
  /** Terminal width; a longer line would wrap and `\r` could no longer rewrite it. */
  readonly columns?: number | undefined;
}

export interface ProgressOptions {
  /** Default: process.stderr. */
  readonly stream?: ProgressStream;
  /** Milliseconds; injected by tests so throttling is checked by counting, never by waiting. */
  readonly now?: () => number;
  /** Where TERM is read; default: the process environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface Progress {
  /** Starts a stage: a line of its own when piped; replaces the line on a terminal. */
  step(text: string): void;
  /**
   * How far the stage is: `done` of `total` (shown as a percentage) or, without a
   * total, a running count; `detail` says what is counted ("1200 record(s)"). Throttled.
   */
  update(done: number, total?: number, detail?: string): void;
  /**
   * Ends the progress; call it before printing the result on stdout. On a terminal the
   * line is cleared, or replaced by `text` and kept; piped, `text` is one last line.
   */
  done(text?: string): void;
}

/** A terminal line is rewritten at most this often (about 10 updates a second). */
export const TTY_INTERVAL_MS = 100;
/** Piped, with a known total: one line per this many percent. */
export const PLAIN_PERCENT_STEP = 10;
/** Piped, without a total: at most one line this often. */
export const PLAIN_INTERVAL_MS = 5_000;

/** For --json and other quiet runs: nothing is written. */
export const NO_PROGRESS: Progress = { step: () => undefined, update: () => undefined, done: () => undefined };

/** A reporter for the command named `label` (e.g. "audit verify"), in-place on a terminal, plain lines otherwise. */
export function createProgress(label: string, options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? Date.now;
  // TERM describes the terminal, not Bastion's configuration, so it is read here rather than in src/config.
  // eslint-disable-next-line no-restricted-properties
  const env = options.env ?? process.env;
  const terminal = stream.isTTY === true && env['TERM'] !== 'dumb';
  return terminal ? new TerminalProgress(stream, label, now) : new PlainProgress(stream, label, now);
}

/** "40% (400 record(s))" with a total, else the detail or the bare count. */
function amount(done: number, total: number | undefined, detail: string | undefined): string {
  if (total !== undefined && total > 0) {
    const percent = Math.min(100, Math.floor((Math.max(0, done) / total) * 100));
    return detail === undefined ? `${percent}%` : `${percent}% (${detail})`;
  }
  return detail ?? String(done);
}

class TerminalProgress implements Progress {
  private stage = '';
  /** Characters of the line now on screen, 0 when there is none. */
  private shown = 0;
  private lastWrite = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly stream: ProgressStream,
    private readonly label: string,
    private readonly now: () => number,
  ) {}

  step(text: string): void {
    this.stage = text;
    this.show(text);
  }

  update(done: number, total?: number, detail?: string): void {
    if (this.now() - this.lastWrite < TTY_INTERVAL_MS) return;
    this.show(this.stage, amount(done, total, detail));
  }

  done(text?: string): void {
    if (text !== undefined) {
      this.show(text);
      this.stream.write('\n');
    } else if (this.shown > 0) {
      this.stream.write(`\r${' '.repeat(this.shown)}\r`);
    }
    this.shown = 0;
    this.stage = '';
  }

  /** Rewrites the line; when it is too wide, the stage text is cut so the amount stays visible. */
  private show(text: string, amountText = ''): void {
    const columns = this.stream.columns ?? 0;
    // A pseudo-terminal may report 0 columns: assume the classic 80.
    const width = Math.max(20, (columns > 0 ? columns : 80) - 1);
    const head = redactLine(`${this.label}: ${text}`);
    const tail = amountText === '' ? '' : ` ${redactLine(amountText)}`;
    const room = width - tail.length;
    const line = head.length <= room ? `${head}${tail}` : `${head.slice(0, Math.max(0, room - 1))}…${tail}`.slice(0, width);
    // Spaces, not an erase escape, wipe what is left of a longer previous line.
    this.stream.write(`\r${line}${' '.repeat(Math.max(0, this.shown - line.length))}`);
    this.shown = line.length;
    this.lastWrite = this.now();
  }
}

class PlainProgress implements Progress {
  private stage = '';
  /** The last multiple of PLAIN_PERCENT_STEP printed in this stage. */
  private printedPercent = 0;
  private lastWrite = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly stream: ProgressStream,
    private readonly label: string,
    private readonly now: () => number,
  ) {}

  step(text: string): void {
    this.stage = text;
    this.printedPercent = 0;
    this.line(text);
  }

  update(done: number, total?: number, detail?: string): void {
    if (total !== undefined && total > 0) {
      const percent = Math.min(100, Math.floor((Math.max(0, done) / total) * 100));
      const reached = percent - (percent % PLAIN_PERCENT_STEP);
      if (reached <= this.printedPercent) return;
      this.printedPercent = reached;
    } else if (this.now() - this.lastWrite < PLAIN_INTERVAL_MS) {
      return;
    }
    this.line(`${this.stage} ${amount(done, total, detail)}`);
  }

  done(text?: string): void {
    if (text !== undefined) this.line(text);
    this.stage = '';
  }

  private line(text: string): void {
    this.stream.write(`${redactLine(`${this.label}: ${text}`)}\n`);
    this.lastWrite = this.now();
  }
}
