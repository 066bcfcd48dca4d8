import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, type WorkflowBundleOption } from '@temporalio/worker';

/** The file `npm run build` writes the bundled workflow code to, beside the compiled modules (dist/). */
export const PREBUILT_BUNDLE_FILE = 'workflow-bundle.js';

/** Where the workflow code comes from: the build's bundle, or the sources, bundled when the worker starts. */
export type WorkflowCode = { prebuilt: string } | { sources: string };

/** The code directory this module runs from: dist/ when built, src/ under tsx. */
const CODE_DIR = fileURLToPath(new URL('..', import.meta.url));

/**
 * The prebuilt bundle in `codeDir` when the build wrote one (production starts in milliseconds and runs the
 * code that was built and tested), otherwise the workflow sources there (development under tsx).
 */
export function workflowCode(codeDir = CODE_DIR): WorkflowCode {
  const prebuilt = join(codeDir, PREBUILT_BUNDLE_FILE);
  if (existsSync(prebuilt)) return { prebuilt };
  const js = join(codeDir, 'workflows', 'index.js');
  return { sources: existsSync(js) ? js : join(codeDir, 'workflows', 'index.ts') };
}

const bundled = new Map<string, Promise<WorkflowBundleOption>>();

/** The worker's workflow bundle: the prebuilt file, or the sources bundled once per process. */
export function workflowBundle(code: WorkflowCode = workflowCode()): Promise<WorkflowBundleOption> {
  if ('prebuilt' in code) return Promise.resolve({ codePath: code.prebuilt });
  let bundle = bundled.get(code.sources);
  if (!bundle) {
    bundle = bundleWorkflowCode({ workflowsPath: code.sources });
    bundled.set(code.sources, bundle);
  }
  return bundle;
}
