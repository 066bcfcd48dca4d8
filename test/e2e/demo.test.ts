/**
 * The demo as a person sees it: `per-user-db start` as a child process, a real browser signs up on the demo
 * page, the page shows the database ready, PostgreSQL has it, the Clerk stand-in has it in the user's metadata,
 * and the Temporal UI shows the workflow Completed. Then Ctrl-C-equivalent (SIGTERM) stops everything.
 * Screenshots go to test-results/.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createClerkApi } from '../../src/clerk/client.js';
import { isPortFree, waitUntil } from '../../dev/local/ports.js';
import { testDatabaseUrl } from '../helpers/postgres.js';
import { stackPorts } from './stack-ports.js';

const RESULTS = 'test-results';
const START_TIMEOUT_MS = 120_000;

let ports: Awaited<ReturnType<typeof stackPorts>>;
let dataDir: string;
let stack: ChildProcess;
let output = '';
let browser: Browser;
let page: Page;

const appUrl = () => `http://127.0.0.1:${ports.PORT}`;

async function clerk() {
  const secrets = JSON.parse(await readFile(join(dataDir, 'local-secrets.json'), 'utf8')) as { clerkSecretKey: string };
  return createClerkApi({ secretKey: secrets.clerkSecretKey, apiUrl: `http://127.0.0.1:${ports.CLERK_STAND_IN_PORT}` });
}

/** Processes still running whose command line mentions our data directory (the Temporal dev server would). */
async function processesUsing(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p))) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(dir)) found.push(`${pid}: ${cmdline.replaceAll('\0', ' ')}`);
  }
  return found;
}

before(async () => {
  await mkdir(RESULTS, { recursive: true });
  dataDir = await mkdtemp(join(tmpdir(), 'per-user-db-demo-'));
  await chmod(dataDir, 0o755);
  ports = await stackPorts();
  // Temporal and Clerk are the stack's own; the shared test PostgreSQL saves starting an embedded one.
  const inherited = Object.entries(process.env).filter(([name]) => !/^(CLERK_|TEMPORAL_)/.test(name));
  const env = {
    ...Object.fromEntries(inherited),
    ...ports,
    DATA_DIR: dataDir,
    DATABASE_URL: await testDatabaseUrl(),
    LOG_LEVEL: 'warn',
  };

  stack = spawn(process.execPath, ['--import', 'tsx', 'dev/cli.ts', 'start'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  stack.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  stack.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  await waitUntil(
    'the local stack to print its URLs',
    async () => {
      if (stack.exitCode !== null) throw new Error(`per-user-db start exited with ${stack.exitCode}:\n${output}`);
      return output.includes('per-user-db is running');
    },
    START_TIMEOUT_MS,
  );

  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
});

after(async () => {
  await browser?.close();
  if (stack && stack.exitCode === null) {
    stack.kill('SIGKILL');
    await once(stack, 'exit');
  }
  await rm(dataDir, { recursive: true, force: true });
});

test('sign up on the demo page and watch the database become ready', async () => {
  await page.goto(appUrl());
  await page.getByTestId('sign-up-form').waitFor({ state: 'visible' });
  await page.screenshot({ path: join(RESULTS, 'demo-1-sign-up.png'), fullPage: true });

  const email = `demo-${Date.now().toString(36)}@example.com`;
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Name').fill('Demo Person');
  await page.getByLabel('Region').selectOption('local');
  await page.getByTestId('sign-up-submit').click();

  const status = page.getByTestId('status');
  await page.waitForFunction(
    () => document.querySelector('[data-testid="status"]')?.textContent === 'ready',
    undefined,
    { timeout: 60_000 },
  );
  assert.equal(await status.textContent(), 'ready');
  for (const step of ['create-database', 'apply-migrations', 'record-on-clerk']) {
    assert.equal(await page.getByTestId(`step-${step}`).getAttribute('data-state'), 'done', step);
  }
  await page.screenshot({ path: join(RESULTS, 'demo-2-ready.png'), fullPage: true });

  const userId = (await page.getByTestId('user-id').textContent()) ?? '';
  const dbName = (await page.getByTestId('db-name').textContent()) ?? '';
  assert.match(userId, /^user_/);
  assert.equal(await page.getByTestId('db-provider').textContent(), 'postgres');
  assert.equal(await page.getByTestId('db-region').textContent(), 'local');
  assert.match((await page.getByTestId('db-schema-version').textContent()) ?? '', /^[1-9]\d*$/);

  // The database exists in PostgreSQL.
  const client = new pg.Client(await testDatabaseUrl());
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [dbName]);
    assert.equal(rowCount, 1, `database ${dbName} exists`);
  } finally {
    await client.end();
  }

  // The stand-in holds it on the user, as Clerk would.
  const user = await (await clerk()).users.getUser(userId);
  assert.equal(user.primaryEmailAddress?.emailAddress, email);
  assert.deepEqual(user.unsafeMetadata, { region: 'local' });
  const recorded = (user.publicMetadata as { database?: Record<string, unknown> }).database;
  assert.equal(recorded?.status, 'ready');
  assert.equal(recorded?.name, dbName);
  assert.equal(recorded?.provider, 'postgres');

  // The admin list shows the user with the database.
  await page.getByTestId('refresh-users').click();
  await page.getByTestId(`user-row-${userId}`).filter({ hasText: dbName }).filter({ hasText: 'ready' }).waitFor();

  // The Temporal UI shows the workflow, Completed.
  const href = (await page.getByTestId('temporal-link').getAttribute('href')) ?? '';
  assert.equal(href, `http://localhost:${ports.TEMPORAL_UI_PORT}/namespaces/default/workflows/provision-db-${userId}`);
  const ui = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await ui.goto(href.replace('localhost', '127.0.0.1'));
  await ui.getByText('Completed').first().waitFor({ state: 'visible', timeout: 60_000 });
  await ui.screenshot({ path: join(RESULTS, 'demo-3-temporal-ui.png'), fullPage: true });
  await ui.close();

  // "Delete my account" removes the Clerk user.
  page.once('dialog', (dialog) => void dialog.accept());
  await page.getByTestId('delete-account').click();
  await page.getByTestId('delete-account').waitFor({ state: 'hidden' });
  await assert.rejects((await clerk()).users.getUser(userId), (error: { status?: number }) => error.status === 404);
  await page.screenshot({ path: join(RESULTS, 'demo-4-deleted.png'), fullPage: true });
});

/** Signs up on `page` through the demo form and waits for the database; answers the user id. */
async function signUpAndWaitReady(on: Page, name: string): Promise<string> {
  await on.goto(appUrl());
  await on.getByTestId('sign-up-form').waitFor({ state: 'visible' });
  await on.getByLabel('Email').fill(`${name.toLowerCase()}-${Date.now().toString(36)}@example.com`);
  await on.getByLabel('Name').fill(name);
  await on.getByTestId('sign-up-submit').click();
  await on.waitForFunction(() => document.querySelector('[data-testid="status"]')?.textContent === 'ready', undefined, {
    timeout: 60_000,
  });
  return (await on.getByTestId('user-id').textContent()) ?? '';
}

async function addNote(on: Page, title: string): Promise<void> {
  await on.getByTestId('note-title').fill(title);
  await on.getByTestId('note-add').click();
  await on.getByTestId('note').filter({ hasText: title }).waitFor();
}

const noteTitles = async (on: Page) => on.getByTestId('note').locator('span').allTextContents();

test('notes live in each user’s own database: two users see only their own, and go with the account', async () => {
  // Two browser contexts: two people, each with their own signed-in session.
  const contexts = await Promise.all([1, 2].map(() => browser.newContext({ viewport: { width: 1280, height: 900 } })));
  const [ada, grace] = await Promise.all(contexts.map((c) => c.newPage()));
  try {
    const adaId = await signUpAndWaitReady(ada!, 'Ada');
    const graceId = await signUpAndWaitReady(grace!, 'Grace');
    // The panel names the database its notes come from, once it has loaded them.
    for (const [on, userId] of [
      [ada!, adaId],
      [grace!, graceId],
    ] as const) {
      await on
        .getByTestId('notes-database')
        .filter({ hasText: `tenant_${userId}` })
        .waitFor({ timeout: 15_000 });
      await on.getByTestId('notes-empty').waitFor({ state: 'visible' });
    }

    await addNote(ada!, 'Analytical engine');
    await addNote(ada!, 'Bernoulli numbers');
    await addNote(grace!, 'COBOL');
    await ada!.reload();
    await ada!.getByTestId('note').first().waitFor();
    assert.deepEqual(await noteTitles(ada!), ['Bernoulli numbers', 'Analytical engine']);
    assert.deepEqual(await noteTitles(grace!), ['COBOL']);
    await ada!.screenshot({ path: join(RESULTS, 'demo-5-notes.png'), fullPage: true });

    // The notes are rows in Ada's own database, read here as PostgreSQL's admin.
    const admin = new URL(await testDatabaseUrl());
    admin.pathname = `/tenant_${adaId}`;
    const own = new pg.Client(admin.href);
    await own.connect();
    const { rows } = await own.query<{ title: string }>('SELECT title FROM notes ORDER BY id');
    await own.end();
    assert.deepEqual(
      rows.map((r) => r.title),
      ['Analytical engine', 'Bernoulli numbers'],
    );

    // Ada's real session token on Grace's notes: refused.
    const stand = await clerk();
    const { jwt } = await stand.sessions.getToken((await stand.sessions.createSession({ userId: adaId })).id);
    for (const method of ['GET', 'POST']) {
      const response = await fetch(`${appUrl()}/api/users/${graceId}/notes`, {
        method,
        headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
        body: method === 'POST' ? JSON.stringify({ title: 'intrusion' }) : undefined,
      });
      assert.equal(response.status, 403, method);
    }
    assert.deepEqual(await noteTitles(grace!), ['COBOL']);

    // Deleting a note touches only that user's database.
    await grace!.getByTestId('note').filter({ hasText: 'COBOL' }).getByTestId('note-delete').click();
    await grace!.getByTestId('notes-empty').waitFor({ state: 'visible' });
    assert.equal((await noteTitles(ada!)).length, 2);

    // Deleting Ada's account removes her notes with her database.
    ada!.once('dialog', (dialog) => void dialog.accept());
    await ada!.getByTestId('delete-account').click();
    await ada!.getByTestId('notes').waitFor({ state: 'hidden' });
    const client = new pg.Client(await testDatabaseUrl());
    await client.connect();
    try {
      await waitUntil(
        `tenant_${adaId} dropped`,
        async () =>
          (await client.query('select 1 from pg_database where datname = $1', [`tenant_${adaId}`])).rowCount === 0,
        60_000,
      );
    } finally {
      await client.end();
    }
  } finally {
    await Promise.all(contexts.map((c) => c.close()));
  }
});

test('SIGTERM stops the whole stack: exit code 0, every port free, no process left behind', async () => {
  const exited = once(stack, 'exit');
  stack.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  assert.equal(code, 0, output.slice(-2000));
  for (const [name, port] of Object.entries(ports)) {
    if (name === 'EMBEDDED_POSTGRES_PORT') continue; // DATABASE_URL was given: no embedded Postgres
    assert.ok(await isPortFree(Number(port)), `${name}=${port} is free`);
  }
  assert.deepEqual(await processesUsing(dataDir), []);
});
