import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { workflowBundle } from '../../src/worker/bundle.js';
import { historyFromJson } from '../helpers/history-json.js';

/** Recorded from real runs by test/fixtures/histories/record.ts; re-record only for a deliberate change. */
const HISTORIES = new URL('../fixtures/histories/', import.meta.url);
const files = (await readdir(HISTORIES)).filter((f) => /^(provision|fleet-migration)-.+\.json$/.test(f)).sort();

const load = async (file: string) => historyFromJson(await readFile(new URL(file, HISTORIES), 'utf8'));

describe('replay: today’s provisioning and fleet migration workflows reproduce every recorded history', () => {
  test('the recorded histories are there', () => {
    assert.ok(files.length >= 2, files.join(', '));
    assert.ok(files.includes('provision-success.json'));
    assert.ok(files.includes('fleet-migration-run-2.json'), 'a fleet migration continued as new');
  });

  for (const file of files) {
    test(`${file} replays without a determinism violation`, async () => {
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, await load(file));
    });
  }

  test('a workflow whose steps are reordered is caught: DeterminismViolationError', async () => {
    const reordered = await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('../fixtures/workflows/provision-reordered.ts', import.meta.url)),
      logger: {
        log: () => undefined,
        trace: () => undefined,
        debug: () => undefined,
        info: () => undefined,
        warn: () => undefined,
        error: () => undefined,
      },
    });
    await assert.rejects(
      Worker.runReplayHistory({ workflowBundle: reordered }, await load('provision-success.json')),
      DeterminismViolationError,
    );
  });
});
