import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, type Logger, type WorkflowBundleOption } from '@temporalio/worker';
import { WORKFLOW_TRACING_MODULE } from '../telemetry/tracing.js';

/** The file `npm run build` writes the bundled workflow code to, beside the compiled modules (dist/). */
export const PREBUILT_BUNDLE_FILE = 'workflow-bundle.js';

/** The same code with OpenTelemetry's workflow interceptors, written beside it: tracing needs no bundler either. */
export const tracingBundleFile = (prebuilt: string) => prebuilt.replace(/\.js$/, '-tracing.js');

/** Where the workflow code comes from: the build's bundle, or the sources (`workflows/index`), bundled at start. */
export type WorkflowCode = { prebuilt: string } | { sources: string };

/** The code directory this module runs from: dist/ when built, src/ under tsx. */
const CODE_DIR = fileURLToPath(new URL('..', import.meta.url));

/** A module of a code directory: compiled (.js) when built, the TypeScript source under tsx. */
function modulePath(codeDir: string, name: string): string {
  const js = join(codeDir, `${name}.js`);
  return existsSync(js) ? js : join(codeDir, `${name}.ts`);
}

/**
 * The prebuilt bundle in `codeDir` when the build wrote one (production starts in milliseconds and runs the
 * code that was built and tested), otherwise the workflow sources there (development under tsx).
 */
export function workflowCode(codeDir = CODE_DIR): WorkflowCode {
  const prebuilt = join(codeDir, PREBUILT_BUNDLE_FILE);
  return existsSync(prebuilt) ? { prebuilt } : { sources: modulePath(codeDir, 'workflows/index') };
}

/** WORKFLOW_BUNDLE when set, else `workflowCode()`. A path that is not there fails the start, saying which. */
export function configuredWorkflowCode(bundlePath: string | undefined): WorkflowCode {
  if (bundlePath === undefined) return workflowCode();
  if (!existsSync(bundlePath)) {
    throw new Error(`WORKFLOW_BUNDLE: no file at ${bundlePath} (scripts/bundle-workflows.ts writes one)`);
  }
  return { prebuilt: bundlePath };
}

export interface BundleOptions {
  /** Adds OpenTelemetry's workflow interceptors (spans); the build's bundle has none. */
  tracing?: boolean;
  /** Receives the bundler's report (webpack's output), which otherwise goes to stderr. */
  logger?: Logger;
}

/**
 * Bundles `workflows/index` with its interceptors (outcome metrics; spans with `tracing`), from src/ or dist/.
 * Our workflow modules and the outcome interceptor are preloaded: evaluated once per workflow thread and shared by
 * every run, instead of once per run in its first activation (the SDK's default for modules its runtime does not
 * load itself). Safe because their module scope holds no run state: activity proxies, query and update
 * definitions, constants (frozen by the SDK once shared). OpenTelemetry's interceptors stay per run.
 */
export function bundleWorkflowSources(workflowsIndex: string, { tracing = false, logger }: BundleOptions = {}) {
  const codeDir = join(dirname(workflowsIndex), '..');
  const outcomeInterceptors = modulePath(codeDir, 'telemetry/workflow-interceptors');
  return bundleWorkflowCode({
    workflowsPath: workflowsIndex,
    workflowInterceptorModules: [outcomeInterceptors, ...(tracing ? [WORKFLOW_TRACING_MODULE] : [])],
    preloadModules: [workflowsIndex, outcomeInterceptors],
    logger,
  });
}

const bundled = new Map<string, Promise<WorkflowBundleOption>>();

/**
 * The worker's workflow bundle: the prebuilt file (its tracing twin with tracing on), or the sources bundled
 * once per process. A built image runs without webpack and swc (the Dockerfile leaves them out).
 */
export function workflowBundle(
  code: WorkflowCode = workflowCode(),
  options: BundleOptions = {},
): Promise<WorkflowBundleOption> {
  if ('prebuilt' in code) {
    const codePath = options.tracing ? tracingBundleFile(code.prebuilt) : code.prebuilt;
    if (existsSync(codePath)) return Promise.resolve({ codePath });
  }
  const sources = 'prebuilt' in code ? modulePath(dirname(code.prebuilt), 'workflows/index') : code.sources;
  const key = `${sources} ${options.tracing === true}`;
  let bundle = bundled.get(key);
  if (!bundle) {
    bundle = bundleWorkflowSources(sources, options);
    bundled.set(key, bundle);
  }
  return bundle;
}
