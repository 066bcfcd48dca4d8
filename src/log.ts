import { pino, type DestinationStream, type Logger } from 'pino';

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

/** JSON lines on stdout for machines; `destination` lets the dev harness render them for people instead. */
export function createLogger(level: string, name = 'per-user-db', destination?: DestinationStream): Logger {
  return pino({ name, level, redact: { paths: REDACT, censor: '[redacted]' } }, destination);
}
