/**
 * Bundles the compiled workflow code (dist/workflows/index.js) once, into dist/workflow-bundle.js, which the
 * production worker loads instead of bundling at every start. Run by `npm run build`, after tsc.
 * `node scripts/bundle-workflows.mjs <workflows index> <out file>` bundles other code (the tests' sources).
 */
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const [workflowsPath = join(dist, 'workflows', 'index.js'), out = join(dist, 'workflow-bundle.js')] =
  process.argv.slice(2);
const { code } = await bundleWorkflowCode({ workflowsPath });
await writeFile(out, code);
