import type { AppQuotasStreamHandler } from '#adapters/counter-stream-handler.ts';
import type { FunctionHandler } from '#http/function-handler.ts';
import type { FunctionName } from '#routing/route-types.ts';

/**
 * Loads a function's entry point from `functions/`, the same file the stack bundles. Its module
 * reads its configuration from the environment when first loaded, so set the environment first.
 */
export const loadFunction = async (fn: FunctionName): Promise<FunctionHandler> => {
  const module = (await import(new URL(`../../functions/${fn}.ts`, import.meta.url).href)) as {
    handler: FunctionHandler;
  };
  return module.handler;
};

/**
 * Loads the app-quotas entry point with its other faces: the scheduled sweep of quota deletes, and
 * the table's stream of counter changes.
 */
export const loadAppQuotasFunction = async (): Promise<AppQuotasStreamHandler> => {
  const module = (await import(new URL('../../functions/app-quotas.ts', import.meta.url).href)) as {
    handler: AppQuotasStreamHandler;
  };
  return module.handler;
};
