import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, type Logger, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

import { WORKFLOW_TRACING_MODULE } from '../telemetry/tracing.js';

/** Bundled once per process, without and with the tracing interceptors. */
const bundles = new Map<boolean, Promise<WorkflowBundleWithSourceMap>>();

/** A module beside this one's folder, from dist/ when built, from src/ under tsx. */
function sourcePath(relative: string): string {
  const js = fileURLToPath(new URL(`../${relative}.js`, import.meta.url));
  return existsSync(js) ? js : fileURLToPath(new URL(`../${relative}.ts`, import.meta.url));
}

/**
 * The workflow code with its interceptors (outcome metrics; spans when `tracing`). `logger` receives the
 * bundler's report (webpack's output), which otherwise goes to stderr.
 */
export function workflowBundle(logger?: Logger, { tracing = false } = {}): Promise<WorkflowBundleWithSourceMap> {
  let bundle = bundles.get(tracing);
  if (!bundle) {
    const modules = [sourcePath('telemetry/workflow-interceptors'), ...(tracing ? [WORKFLOW_TRACING_MODULE] : [])];
    bundle = bundleWorkflowCode({
      workflowsPath: sourcePath('workflows/index'),
      workflowInterceptorModules: modules,
      logger,
    });
    bundles.set(tracing, bundle);
  }
  return bundle;
}
