/**
 * Bundles the compiled workflow code (dist/workflows/index.js) once, into dist/workflow-bundle.js, and with the
 * tracing interceptors into dist/workflow-bundle-tracing.js, which the production worker loads instead of
 * bundling at every start. Run by `npm run build`, after tsc.
 * `tsx scripts/bundle-workflows.ts <workflows index> <out file>` bundles other code (the tests' sources).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowSources, tracingBundleFile } from '../src/worker/bundle.js';

const dist = fileURLToPath(new URL('../dist', import.meta.url));
const [workflowsIndex = join(dist, 'workflows', 'index.js'), out = join(dist, 'workflow-bundle.js')] =
  process.argv.slice(2);
for (const tracing of [false, true]) {
  const { code } = await bundleWorkflowSources(workflowsIndex, { tracing });
  await writeFile(tracing ? tracingBundleFile(out) : out, code);
}
