import type * as workflows from '../workflows/index.js';

type Workflows = typeof workflows;

/**
 * The name of a workflow the worker registers. The client starts workflows by name (it imports workflow code
 * as types only); `'name' satisfies WorkflowName` makes a misspelt or removed one a compile error.
 */
export type WorkflowName = {
  [K in keyof Workflows]: Workflows[K] extends (...args: never[]) => Promise<unknown> ? K : never;
}[keyof Workflows];
