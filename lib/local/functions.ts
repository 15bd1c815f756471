import type { AppQuotasHandler } from '#adapters/quota-sweep-handler.ts';
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

/** Loads the app-quotas entry point with its second face: the scheduled sweep of quota deletes. */
export const loadAppQuotasFunction = async (): Promise<AppQuotasHandler> => {
  const module = (await import(new URL('../../functions/app-quotas.ts', import.meta.url).href)) as {
    handler: AppQuotasHandler;
  };
  return module.handler;
};
