import { describe, expect, it } from 'vitest';
import { readConfig } from '#app/config.ts';
import { createControlPlaneDeps } from '#app/control-plane-deps.ts';
import { FUNCTION_SETTINGS } from '#infra/stateless-stack.ts';
import { ServiceMetrics } from '#observability/metrics.ts';
import { WORST_CASE_MS } from '#store/table/client.ts';
import { DEADLINE_MARGIN_MS } from '#store/table/request-scope.ts';

describe('configuration of a function', () => {
  it('writes metrics inside Lambda only, where the log stream carries EMF to CloudWatch', () => {
    const inLambda = readConfig({ AWS_LAMBDA_FUNCTION_NAME: 'credential-quota-registry' });
    expect(inLambda.emitMetrics).toBe(true);
    expect(createControlPlaneDeps(inLambda).metrics).toBeInstanceOf(ServiceMetrics);
    const local = readConfig({});
    expect(local.emitMetrics).toBe(false);
    expect(createControlPlaneDeps(local).metrics).toBeUndefined();
  });

  it("takes the custom domain's base path from API_BASE_PATH", () => {
    expect(readConfig({ API_BASE_PATH: 'quota' }).basePath).toBe('quota');
    expect(createControlPlaneDeps(readConfig({ API_BASE_PATH: 'quota' })).basePath).toBe('quota');
    expect(readConfig({}).basePath).toBeUndefined();
  });
});

describe('the time a DynamoDB call may take', () => {
  it("fits each function's time for DynamoDB with every SDK retry, so one hung call is answered by the function, not cut off", () => {
    for (const [name, settings] of Object.entries(FUNCTION_SETTINGS)) {
      expect(WORST_CASE_MS + DEADLINE_MARGIN_MS, name).toBeLessThan(settings.timeout.toMilliseconds());
    }
    expect(WORST_CASE_MS).toBe(3 * (500 + 1000) + 600);
  });
});
