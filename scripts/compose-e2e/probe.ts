/**
 * What scripts/compose-e2e.sh checks from the host, against the published ports of the compose stack:
 *   sign-up   a real browser signs up on the demo page and waits for `ready`; prints {userId, dbName, email}
 *   workflow  the Temporal UI answers 200 for the workflow's page, and its API shows the run Completed with history
 *   user      the Clerk stand-in still has the user, with the ready database on its public metadata
 * Each exits non-zero with the reason on stderr when the check fails.
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { chromium } from 'playwright-core';
import { z } from 'zod';
import { createClerkApi } from '../../src/clerk/client.js';

const READY_TIMEOUT_MS = 60_000;

async function signUp(appUrl: string, screenshots: string): Promise<void> {
  await mkdir(screenshots, { recursive: true });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(appUrl);
    await page.getByTestId('sign-up-form').waitFor({ state: 'visible' });
    const email = `compose-${Date.now().toString(36)}@example.com`;
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Name').fill('Compose Person');
    await page.getByLabel('Region').selectOption('local');
    await page.getByTestId('sign-up-submit').click();
    await page.waitForFunction(
      () => document.querySelector('[data-testid="status"]')?.textContent === 'ready',
      undefined,
      { timeout: READY_TIMEOUT_MS },
    );
    await page.screenshot({ path: join(screenshots, `compose-ready-${email}.png`), fullPage: true });
    const userId = (await page.getByTestId('user-id').textContent()) ?? '';
    const dbName = (await page.getByTestId('db-name').textContent()) ?? '';
    assert.match(userId, /^user_/);
    assert.match(dbName, /\S/);
    assert.equal(await page.getByTestId('db-provider').textContent(), 'postgres');
    process.stdout.write(`${JSON.stringify({ userId, dbName, email })}\n`);
  } finally {
    await browser.close();
  }
}

const Execution = z.object({
  workflowExecutionInfo: z.object({ status: z.string(), historyLength: z.coerce.number() }),
});
const History = z.object({ history: z.object({ events: z.array(z.object({ eventType: z.string() })) }) });

async function getJson<T>(url: string, schema: z.ZodType<T>): Promise<T> {
  const response = await fetch(url);
  assert.equal(response.status, 200, `GET ${url}`);
  return schema.parse(await response.json());
}

async function workflow(uiUrl: string, namespace: string, workflowId: string): Promise<void> {
  const page = await fetch(`${uiUrl}/namespaces/${namespace}/workflows/${workflowId}`);
  assert.equal(page.status, 200, 'the Temporal UI serves the workflow page');
  const api = `${uiUrl}/api/v1/namespaces/${namespace}/workflows/${encodeURIComponent(workflowId)}`;
  const { workflowExecutionInfo: info } = await getJson(api, Execution);
  assert.equal(info.status, 'WORKFLOW_EXECUTION_STATUS_COMPLETED', `${workflowId} status`);
  const { history } = await getJson(`${api}/history`, History);
  assert.equal(history.events.length, info.historyLength, 'the whole history is there');
  assert.equal(history.events.at(-1)?.eventType, 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
  process.stdout.write(`${workflowId}: Completed, ${history.events.length} history events\n`);
}

async function user(clerkUrl: string, userId: string, email: string, dbName: string): Promise<void> {
  const secretKey = process.env.CLERK_SECRET_KEY;
  assert.ok(secretKey, 'CLERK_SECRET_KEY must be set');
  const found = await createClerkApi({ secretKey, apiUrl: clerkUrl }).users.getUser(userId);
  assert.equal(found.primaryEmailAddress?.emailAddress, email);
  const database = (found.publicMetadata as { database?: { status?: string; name?: string } }).database;
  assert.equal(database?.status, 'ready');
  assert.equal(database?.name, dbName);
  process.stdout.write(`${userId}: ${email}, database ${dbName} ready\n`);
}

const program = new Command('compose-e2e-probe').showHelpAfterError();
program.command('sign-up <appUrl> <screenshotDir>').action(signUp);
program.command('workflow <uiUrl> <namespace> <workflowId>').action(workflow);
program.command('user <clerkUrl> <userId> <email> <dbName>').action(user);
program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
