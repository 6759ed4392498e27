import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { isBastionError } from '../errors/codes.js';
import { fail, type Check } from '../doctor/check.js';
import { runDoctor } from '../doctor/run.js';
import { createProgress, NO_PROGRESS, type ProgressOptions } from './progress.js';

interface DoctorOptions {
  config?: string;
  json?: boolean;
  url?: string;
}

/**
 * `bastion doctor`: the secure-deployment checklist of the effective configuration
 * (the same file and environment `serve` would use). Exit code 1 on any failing item.
 * Without --json, each slow stage (a database probe can take seconds) shows on stderr;
 * `progress` redirects that (tests).
 */
export function registerDoctorCommand(program: Command, { progress: progressOptions }: { progress?: ProgressOptions } = {}): void {
  program
    .command('doctor')
    .description('Check the configuration (and optionally a running server) against a secure-deployment checklist')
    .option('--config <file>', 'configuration file (default ./bastion.yaml if present)')
    .option('--json', 'print { checks: [...] } as JSON for scripts')
    .option('--url <url>', 'also probe a running server, e.g. https://host:7300/mcp')
    .action(async (options: DoctorOptions) => {
      // --json is for scripts: stdout stays one JSON document and stderr stays quiet.
      const progress = options.json === true ? NO_PROGRESS : createProgress('doctor', progressOptions);
      let checks: Check[];
      try {
        checks = await doctor(options, (stage) => progress.step(stage));
      } finally {
        progress.done();
      }
      process.stdout.write(options.json === true ? `${JSON.stringify({ checks }, null, 2)}\n` : formatCheckTable(checks));
      if (checks.some((c) => c.status === 'fail')) process.exitCode = 1;
    });
}

async function doctor(options: DoctorOptions, onStage: (stage: string) => void): Promise<Check[]> {
  let loaded;
  try {
    loaded = loadConfig({ configPath: options.config });
  } catch (error) {
    if (!isBastionError(error) || error.code !== 'CONFIG_INVALID') throw error;
    // One line, like every other item: the loader lists its issues on separate lines.
    const detail = error.message.split('\n').map((line) => line.trim()).filter((line) => line !== '').join(' ');
    return [fail('config', 'Configuration', detail, 'Fix the named keys; `bastion init` writes a commented example.')];
  }
  const { config, configFile, state, envFile } = loaded;
  // Read again, raw: the secret check looks at the text before ${ENV} interpolation.
  const configText = configFile === undefined ? undefined : readFileSync(configFile, 'utf8');
  return runDoctor({ config, configFile, configText, state, envFile, url: options.url, onStage });
}

const LABEL = { pass: 'PASS', warn: 'WARN', fail: 'FAIL' } as const;

/** A plain-text report: one line per item, the fix indented below a warning or failure, then a summary. */
export function formatCheckTable(checks: readonly Check[]): string {
  const idWidth = Math.max(...checks.map((c) => c.id.length));
  const lines = checks.flatMap((c) => {
    const head = `${LABEL[c.status]}  ${c.id.padEnd(idWidth)}  ${c.title}: ${c.detail}`;
    return c.fix === '' ? [head] : [head, `${' '.repeat(idWidth + 8)}fix: ${c.fix}`];
  });
  const count = (status: Check['status']): number => checks.filter((c) => c.status === status).length;
  lines.push('', `${count('pass')} passed, ${count('warn')} warning(s), ${count('fail')} failed.`);
  return `${lines.join('\n')}\n`;
}
