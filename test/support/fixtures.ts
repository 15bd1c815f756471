import type { TestApi } from './api-client.ts';
import { freshProject } from './api-client.ts';
import { tokenFor } from './tokens.ts';

/** A fresh project (or `project`) with one instance, and helpers that call its routes with an all-actions token. */
export const newInstance = async (api: TestApi, product = 'apigw', project = freshProject()) => {
  const token = await tokenFor(project);
  const created = await api.call('POST', `/v2/${project}/${product}/instances`, {
    token,
    body: { instance_name: 'gateway' },
  });
  const instanceId: string = created.body.instance_id;
  const base = `/v2/${project}/${product}/instances/${instanceId}`;
  const call = (method: string, path: string, body?: unknown) => api.call(method, `${base}${path}`, { token, body });
  const createApp = async (name: string): Promise<string> => {
    const response = await call('POST', '/apps', { name });
    if (response.status !== 201) throw new Error(`app ${name}: ${JSON.stringify(response.body)}`);
    return response.body.id;
  };
  const createQuota = async (name: string, extra: Record<string, unknown> = {}): Promise<string> => {
    const response = await call('POST', '/app-quotas', {
      name,
      call_limits: 200,
      time_unit: 'MINUTE',
      time_interval: 3,
      ...extra,
    });
    if (response.status !== 201) throw new Error(`quota ${name}: ${JSON.stringify(response.body)}`);
    return response.body.app_quota_id;
  };
  const bind = (quotaId: string, appIds: readonly string[]) =>
    call('POST', `/app-quotas/${quotaId}/binding-apps`, { app_ids: appIds });
  return { project, token, instanceId, base, call, createApp, createQuota, bind };
};
