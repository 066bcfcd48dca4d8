import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import type { History } from '@temporalio/common/lib/proto-utils.js';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { workflowBundle } from '../../src/worker/bundle.js';
import * as workflows from '../../src/workflows/index.js';
import { historyFiles, loadHistory, versionFolders, workflowTypeOf } from '../helpers/history-fixtures.js';
import { historyText } from '../helpers/workflows.js';

/**
 * Every recorded history of every version folder (test/fixtures/histories/, see its README) replayed on
 * today's workflow code: a change that would break an open run of an earlier build fails here, before deploy.
 */
const folders = await versionFolders();
const histories = new Map<string, { workflowId: string; history: History }[]>();
for (const folder of folders) {
  const files = await historyFiles(folder);
  histories.set(
    folder,
    await Promise.all(files.map(async (file) => ({ workflowId: file, history: await loadHistory(folder, file) }))),
  );
}
const all = [...histories.entries()].flatMap(([folder, hs]) => hs.map((h) => ({ folder, ...h })));

describe('replay: today’s workflow code reproduces every recorded history', () => {
  test('there are version folders, and none is empty', () => {
    assert.ok(folders.length >= 1, 'no version folder under test/fixtures/histories/');
    for (const [folder, hs] of histories) assert.ok(hs.length > 0, `${folder} holds no history`);
  });

  test('every workflow type in src/workflows/index.ts has a recorded history', () => {
    const registered = Object.entries(workflows)
      .filter(([, value]) => typeof value === 'function')
      .map(([name]) => name)
      .sort();
    const recorded = new Set(all.map((h) => workflowTypeOf(h.history)));
    assert.deepEqual(
      registered.filter((type) => !recorded.has(type)),
      [],
      'workflow types without a history: record a new set (npm run fixtures:histories)',
    );
  });

  test('no recorded history holds a secret or a connection string with a password', () => {
    for (const { folder, workflowId, history } of all) {
      assert.doesNotMatch(
        historyText(history),
        /sk_(test|live)_|whsec_|postgres(ql)?:\/\/[^/\s"@]*:[^/\s"@]*@/,
        `${folder}/${workflowId}`,
      );
    }
  });

  for (const [folder, hs] of histories) {
    test(`${folder}: every history replays without a determinism violation`, async () => {
      assert.ok(hs.length > 0, `${folder} holds no history`);
      const replayed: string[] = [];
      const failures: string[] = [];
      for await (const result of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, hs)) {
        replayed.push(result.workflowId);
        if (result.error)
          failures.push(`${folder}/${result.workflowId}: ${result.error.name}: ${result.error.message}`);
      }
      assert.deepEqual(failures, []);
      assert.deepEqual(
        replayed.sort(),
        hs.map((h) => h.workflowId),
        'a result for every file',
      );
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
      Worker.runReplayHistory({ workflowBundle: reordered }, await loadHistory('v1', 'provision-success.json')),
      DeterminismViolationError,
    );
  });
});
