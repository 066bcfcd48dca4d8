import { pino, type Logger } from 'pino';

export type { Logger };

/** Paths pino blanks out wherever they appear, as a second line of defence behind never logging secrets. */
const REDACT = [
  'password',
  '*.password',
  'connectionString',
  '*.connectionString',
  'secretKey',
  '*.secretKey',
  'apiKey',
  '*.apiKey',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers["svix-signature"]',
  'req.headers["x-hookdeck-signature"]',
];

export function createLogger(level: string, name = 'per-user-db'): Logger {
  return pino({ name, level, redact: { paths: REDACT, censor: '[redacted]' } });
}
