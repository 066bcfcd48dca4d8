import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const resultsDir = await mkdtemp(join(tmpdir(), 'per-user-db-chaos-results-'));
after(() => rm(resultsDir, { recursive: true, force: true }));

test(
  'npm run chaos -- --quick: every invariant holds after one fault of each kind and a 100 × 3 storm',
  { timeout: 15 * 60_000 },
  async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'reliability/chaos.ts', '--quick', '--results-dir', resultsDir],
      { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    const [file] = await readdir(resultsDir);
    assert.ok(file, `a results file was written:\n${output}`);
    const result = JSON.parse(await readFile(join(resultsDir, file), 'utf8'));
    assert.equal(result.converged, true, output);
    assert.deepEqual(
      Object.values(result.invariants).filter((n) => n !== 0),
      [],
      output,
    );
    assert.equal(result.storm.duplicateRuns, 0);
    assert.equal(result.storm.clerkWrites.duplicateActivities, 0, 'one Clerk write activity per run');
    assert.equal(result.storm.clerkWrites.unexplainedWrites, 0, 'each extra write Clerk saw was a retried attempt');
    assert.equal(result.storm.lostSignUps, 0);
    assert.ok(result.faults.length >= 10, 'one fault of each kind was injected');
    assert.deepEqual(result.faultsMissed, [], 'every fault met work in flight');
    assert.equal(result.receiverKill.runs, 1, 'the redelivery after the receiver kill started no second run');
    assert.equal(result.receiverKill.sameRun, true, 'the redelivery attached to the run Temporal had accepted');
    assert.equal(code, 0, output);
  },
);
