import { setFlagsFromString } from 'node:v8';
import { InvalidArgumentError } from 'commander';
import { ConfigError } from '../config/index.js';

/**
 * For the receiver: V8 keeps its heaps close to what is live instead of letting them grow up to 4× between full
 * collections (README, "Performance": heaps near what is live). Set here, before the service's modules load, so it
 * holds however the process is started (image, `npx`, manifests). The worker does without: it meets its memory
 * target either way, and the flag cost it ~15 % more CPU a sign-up (bench/profiles/2026-11-30-issue15-s6/).
 */
export function favourMemoryOverSpeed(): void {
  setFlagsFromString('--optimize-for-size');
}

/** Runs `stop` once on the first SIGINT or SIGTERM, then exits (a second signal exits at once). */
export function stopOnSignals(stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    process.stderr.write(`\n${signal}: shutting down…\n`);
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`shutdown failed: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** Exit codes: 2 for configuration or usage problems (the message says what to fix), 1 for anything else. */
export function exitWithError(error: unknown): never {
  if (error instanceof ConfigError || error instanceof InvalidArgumentError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
