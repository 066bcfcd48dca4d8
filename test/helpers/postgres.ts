import { after } from 'node:test';
import { startThrowawayPostgres } from '../../dev/local/embedded-postgres.js';

let shared: Promise<string> | undefined;
let stopEmbedded: (() => Promise<void>) | undefined;
// Registered at import, on the root test: an `after` registered inside a suite's hook would run too early.
after(async () => {
  await stopEmbedded?.();
});

/**
 * The admin URL of a real PostgreSQL for tests: DATABASE_URL when set (test/run.ts sets it to one server
 * shared by every test file), else an embedded server of this process, removed when the file's tests end.
 */
export function testDatabaseUrl(): Promise<string> {
  shared ??= (async () => {
    const fromEnv = process.env.DATABASE_URL;
    if (fromEnv) return fromEnv;
    const pg = await startThrowawayPostgres('test');
    stopEmbedded = () => pg.stop();
    return pg.url;
  })();
  return shared;
}
