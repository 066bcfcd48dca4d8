import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, type Logger, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** A module beside this one's folder, from dist/ when built, from src/ under tsx. */
function sourcePath(relative: string): string {
  const js = fileURLToPath(new URL(`../${relative}.js`, import.meta.url));
  return existsSync(js) ? js : fileURLToPath(new URL(`../${relative}.ts`, import.meta.url));
}

/**
 * The workflow code with its interceptors (outcome metrics), bundled once per process. `logger` receives the
 * bundler's report (webpack's output), which otherwise goes to stderr.
 */
export function workflowBundle(logger?: Logger): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: sourcePath('workflows/index'),
    workflowInterceptorModules: [sourcePath('telemetry/workflow-interceptors')],
    logger,
  });
  return bundle;
}
