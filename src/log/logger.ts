import { pino, type Logger } from 'pino';
import { redactDeep, redactLine } from './redact.js';
import { serializeError } from './serialize-error.js';

export type { Logger };

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

const clean = (value: unknown): unknown => redactDeep(value, 0, redactLine);

/**
 * Logs go to stderr: stdout belongs to the stdio transport. Every string that
 * reaches a line — message, fields, errors, child bindings — passes through the
 * one redactor, and control characters come out escaped, one record per line.
 */
export function createLogger(level: LogLevel = 'info'): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      hooks: {
        logMethod(args, method) {
          const cleaned = args.map((arg: unknown) => (typeof arg === 'string' ? redactLine(arg) : clean(arg)));
          method.apply(this, cleaned as Parameters<typeof method>);
        },
      },
      formatters: { bindings: (bindings) => clean(bindings) as Record<string, unknown> },
      serializers: { err: (err: unknown) => clean(serializeError(err)) },
    },
    pino.destination({ fd: 2, sync: false }),
  );
}
