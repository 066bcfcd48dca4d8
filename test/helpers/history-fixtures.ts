import { readdir, readFile } from 'node:fs/promises';
import { historyFromJSON, type History } from '@temporalio/common/lib/proto-utils.js';

/**
 * The recorded workflow histories: one folder per recorded set (`v0`, `v1`, …), never rewritten once
 * committed, so every later build is checked against runs of every earlier one.
 */
export const HISTORIES = new URL('../fixtures/histories/', import.meta.url);

const VERSION_FOLDER = /^v(\d+)$/;
const versionOf = (folder: string) => Number(VERSION_FOLDER.exec(folder)![1]);

/** The version folders, oldest first. */
export async function versionFolders(): Promise<string[]> {
  const entries = await readdir(HISTORIES, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && VERSION_FOLDER.test(e.name))
    .map((e) => e.name)
    .sort((a, b) => versionOf(a) - versionOf(b));
}

/** The folder the next recorded set goes to: one past the newest. */
export async function nextVersionFolder(): Promise<string> {
  const folders = await versionFolders();
  return `v${folders.length === 0 ? 1 : versionOf(folders.at(-1)!) + 1}`;
}

export async function historyFiles(folder: string): Promise<string[]> {
  return (await readdir(new URL(`${folder}/`, HISTORIES))).filter((f) => f.endsWith('.json')).sort();
}

/** A recorded file, in Temporal's JSON history format (what `temporal workflow show --output json` writes). */
export async function loadHistory(folder: string, file: string): Promise<History> {
  return historyFromJSON(JSON.parse(await readFile(new URL(`${folder}/${file}`, HISTORIES), 'utf8')));
}

/** The workflow type a history ran: the name in its first event. */
export function workflowTypeOf(history: History): string {
  const name = history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;
  if (!name) throw new Error('the history does not start with WorkflowExecutionStarted');
  return name;
}
