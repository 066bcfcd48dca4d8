/**
 * The production worker runs the workflow bundle `npm run build` wrote (dist/workflow-bundle.js, or its tracing
 * twin) and bundles the sources at start only when there is none (development under tsx).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createContext, runInContext } from 'node:vm';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import {
  bundleWorkflowSources,
  configuredWorkflowCode,
  PREBUILT_BUNDLE_FILE,
  tracingBundleFile,
  workflowBundle,
  workflowCode,
} from '../../src/worker/bundle.js';
import { runWorker } from '../../src/worker/run.js';
import { waitForReadyMetadata } from '../helpers/databases.js';
import { startPipeline, type Pipeline } from '../helpers/pipeline.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('which workflow code the worker runs', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'per-user-db-bundle-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('compiled code without a bundle: the compiled sources; with one: the bundle', async () => {
    await mkdir(join(dir, 'workflows'));
    await writeFile(join(dir, 'workflows', 'index.js'), '');
    assert.deepEqual(workflowCode(dir), { sources: join(dir, 'workflows', 'index.js') });
    await writeFile(join(dir, PREBUILT_BUNDLE_FILE), '');
    assert.deepEqual(workflowCode(dir), { prebuilt: join(dir, PREBUILT_BUNDLE_FILE) });
  });

  test('WORKFLOW_BUNDLE: that file when it is there, a start that fails naming it when it is not', async () => {
    const prebuilt = join(dir, 'configured-bundle.js');
    assert.throws(() => configuredWorkflowCode(prebuilt), /WORKFLOW_BUNDLE: no file at .*configured-bundle\.js/);
    await writeFile(prebuilt, '');
    assert.deepEqual(configuredWorkflowCode(prebuilt), { prebuilt });
    assert.deepEqual(configuredWorkflowCode(undefined), workflowCode());
  });

  test('with tracing on, the prebuilt tracing bundle: no bundling at start', async () => {
    const prebuilt = join(dir, PREBUILT_BUNDLE_FILE);
    await writeFile(prebuilt, '');
    await writeFile(tracingBundleFile(prebuilt), '');
    assert.deepEqual(await workflowBundle({ prebuilt }, { tracing: true }), { codePath: tracingBundleFile(prebuilt) });
  });

  test('under tsx (src/, no bundle): the TypeScript sources', () => {
    assert.deepEqual(workflowCode(join(ROOT, 'src')), { sources: join(ROOT, 'src', 'workflows', 'index.ts') });
  });
});

describe('our workflow modules are evaluated once per workflow thread, not once per run', () => {
  test('a run started after the thread loaded the bundle evaluates none of its modules again', async () => {
    const { code } = await bundleWorkflowSources(join(ROOT, 'src', 'workflows', 'index.ts'));
    // How the SDK's reusable V8 context routes webpack's module cache (@temporalio/worker, reusable-vm.js):
    // a module first required before any run exists is shared, any other is evaluated again in every run.
    const shared = new Map<string | symbol, unknown>();
    const perRun = new Map<string | symbol, unknown>();
    let runStarted = false;
    const moduleCache = new Proxy(
      {},
      {
        get: (_, id) => shared.get(id) ?? perRun.get(id),
        set: (_, id, module) => {
          (runStarted ? perRun : shared).set(id, module);
          return true;
        },
      },
    );
    const context = createContext({});
    Object.defineProperty(context, '__webpack_module_cache__', { value: moduleCache });
    runInContext(code, context);
    runInContext('__TEMPORAL__.preloadModules()', context);
    runStarted = true;
    runInContext('__TEMPORAL__.importWorkflows(); __TEMPORAL__.importInterceptors()', context);
    assert.deepEqual([...perRun.keys()], []);
  });
});

describe('a worker on the bundle the build script wrote provisions a user', () => {
  let p: Pipeline;
  let dir: string;
  before(async () => {
    p = await startPipeline({ withoutWorker: true });
    dir = await mkdtemp(join(tmpdir(), 'per-user-db-bundle-'));
  });
  after(async () => {
    await p.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('scripts/bundle-workflows.ts output, loaded by path, runs provisioning to ready', async () => {
    await promisify(execFile)(
      process.execPath,
      [
        '--import',
        'tsx',
        'scripts/bundle-workflows.ts',
        join(ROOT, 'src', 'workflows', 'index.ts'),
        join(dir, PREBUILT_BUNDLE_FILE),
      ],
      { cwd: ROOT },
    );
    await access(tracingBundleFile(join(dir, PREBUILT_BUNDLE_FILE)));
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const worker = await runWorker(p.config, {
      connection: p.temporal.nativeConnection,
      logger,
      workflowCode: workflowCode(dir),
    });
    try {
      const started = lines.map((l) => JSON.parse(l) as { msg: string; prebuilt?: string });
      assert.ok(
        started.some(
          (l) => l.msg === 'workflow code: prebuilt bundle' && l.prebuilt === join(dir, PREBUILT_BUNDLE_FILE),
        ),
        lines.join(''),
      );
      const user = await p.clerk.users.createUser({ emailAddress: [`bundle-${Date.now()}@example.com`] });
      await waitForReadyMetadata(p, user.id);
    } finally {
      await worker.shutdown();
    }
  });
});
