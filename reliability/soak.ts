/** `npm run soak -- --minutes N`: the chaos setup under a steady load with periodic faults (see runChaos). */
import { Command } from 'commander';
import { runChaos } from './chaos.js';

const program = new Command('soak')
  .option('--minutes <n>', 'how long', (v) => Number.parseInt(v, 10), 30)
  .option('--results-dir <dir>', 'where the results JSON goes', 'reliability/results')
  .action(async (flags: { minutes: number; resultsDir: string }) => {
    process.exit(
      await runChaos({
        quick: false,
        users: 0,
        storm: 0,
        resultsDir: flags.resultsDir,
        convergeTimeoutS: 600,
        spacingMs: 2_000,
        soakMinutes: flags.minutes,
      }),
    );
  });
await program.parseAsync();
