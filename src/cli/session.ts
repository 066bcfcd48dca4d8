import type { Client } from '@temporalio/client';
import { InvalidArgumentError } from 'commander';
import { z } from 'zod';
import { connectTemporalClient } from '../client/connection.js';
import { loadConfig, type ClientConfig } from '../config/index.js';

/** The CLI's variables, read when a command runs (see environment.ts). */
export type Environment = () => Record<string, string | undefined>;

export interface Session {
  config: ClientConfig;
  client: Client;
}

/** Options validated by `schema`; every problem named by its flag (exit code 2). */
export function parseOptions<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const named = parsed.error.issues.map((i) =>
    i.message.startsWith('--') ? i.message : `--${String(i.path[0])} ${i.message}`,
  );
  throw new InvalidArgumentError(named.join('; '));
}

/** Connects to Temporal (TEMPORAL_* settings, as the worker does), runs `work`, and closes the connection. */
export async function withTemporal(environment: Environment, work: (session: Session) => Promise<void>): Promise<void> {
  const config = loadConfig(environment(), 'client');
  const client = await connectTemporalClient(config);
  try {
    await work({ config, client });
  } finally {
    await client.connection.close();
  }
}

/** `value` as JSON, or as the text `text()` makes, on stdout. */
export function print(value: unknown, asJson: boolean, text: () => string): void {
  process.stdout.write(asJson ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);
}

const POLL_MS = 1_000;

/** Without a terminal (CI logs, pipes), a progress line at most this often, so logs stay readable. */
const PLAIN_EVERY_MS = 5_000;

/**
 * The live progress display on stderr, each progress drawn by `format` (stdout stays for the report): one line redrawn in place on a terminal,
 * a line every few seconds otherwise.
 */
function createProgressDisplay<P>(format: (progress: P) => string, out: NodeJS.WriteStream = process.stderr) {
  let lastPlain = 0;
  let lastLine = '';
  let drawn = false;
  return {
    update(progress: P | undefined): void {
      const line = progress ? format(progress) : 'waiting for a worker to report progress…';
      if (out.isTTY) {
        out.write(`\r\x1b[2K${line.slice(0, Math.max(20, (out.columns ?? 120) - 1))}`);
        drawn = true;
      } else if (line !== lastLine && Date.now() - lastPlain >= PLAIN_EVERY_MS) {
        out.write(`${line}\n`);
        lastPlain = Date.now();
      }
      lastLine = line;
    },
    /** Ends the redrawn line, so whatever comes next starts on a fresh one. */
    stop(): void {
      if (drawn) out.write('\n');
      drawn = false;
    },
  };
}

export interface WatchOptions<R, P> {
  /** The run's outcome. */
  result: Promise<R>;
  /** The run's progress now, `undefined` when no worker answers. */
  progress: () => Promise<P | undefined>;
  format: (progress: P) => string;
  /** Printed when Ctrl-C detaches: what goes on in Temporal, and how to look at it again. */
  detachHint: string;
}

/**
 * Shows live progress on stderr until the run ends, then returns its outcome. Ctrl-C only detaches (exit 130):
 * the run goes on in Temporal.
 */
export async function watch<R, P>({ result, progress, format, detachHint }: WatchOptions<R, P>): Promise<R> {
  const display = createProgressDisplay(format);
  const detach = () => {
    display.stop();
    process.stderr.write(`Detached; ${detachHint}\n`);
    process.exit(130);
  };
  process.once('SIGINT', detach);
  let settled = false;
  const ended = result.then(
    () => (settled = true),
    () => (settled = true),
  );
  try {
    while (!settled) {
      display.update(await progress());
      await Promise.race([ended, new Promise((r) => setTimeout(r, POLL_MS))]);
    }
    return await result;
  } finally {
    display.stop();
    process.off('SIGINT', detach);
  }
}

/**
 * A whole-number option between `min` and `max`, written in decimal digits only: `Number()` would read
 * "0x10", "1e3" or " 7" as numbers an operator did not mean.
 */
export const whole = (name: string, [min, max]: readonly [number, number]) =>
  z
    .string()
    .regex(/^[0-9]+$/, { message: `--${name} must be a whole number in decimal digits` })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, { message: `--${name} must be at least ${min}` })
        .max(max, { message: `--${name} must be at most ${max}` }),
    );
