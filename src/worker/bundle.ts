import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** The workflow code, bundled once per process (from dist/ when built, from src/ under tsx). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= (() => {
    const js = fileURLToPath(new URL('../workflows/index.js', import.meta.url));
    const workflowsPath = existsSync(js) ? js : fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
    return bundleWorkflowCode({ workflowsPath });
  })();
  return bundle;
}
