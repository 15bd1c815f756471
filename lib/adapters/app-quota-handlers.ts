import type { z } from 'zod';
import type { HandlerSet } from '#http/function-handler.ts';
import { appUsageView, bindableAppView, bindingView, boundAppView, pageView, quotaView } from '#http/views.ts';
import { parseRequest } from '#schemas/operations.ts';
import type { quotaBody } from '#schemas/quota-bodies.ts';
import { bindApps } from '#use-cases/bind-apps.ts';
import { createQuota } from '#use-cases/create-quota.ts';
import { deleteQuota } from '#use-cases/delete-quota.ts';
import { listBindableApps } from '#use-cases/list-bindable-apps.ts';
import { listBoundApps } from '#use-cases/list-bound-apps.ts';
import { listQuotaUsage } from '#use-cases/list-quota-usage.ts';
import { listQuotas } from '#use-cases/list-quotas.ts';
import type { UseCaseDeps } from '#use-cases/ports.ts';
import { showQuota } from '#use-cases/show-quota.ts';
import { unbindApp } from '#use-cases/unbind-app.ts';
import { updateQuota } from '#use-cases/update-quota.ts';
import { bindingRefOf, instanceRefOf, quotaRefOf } from './path-refs.ts';

/** The quota fields of a create or update body, as the use cases take them. */
const quotaFields = (body: z.output<typeof quotaBody>) => ({
  name: body.name,
  callLimits: body.call_limits,
  timeUnit: body.time_unit,
  timeInterval: body.time_interval,
  resetTime: body.reset_time ?? undefined,
  remark: body.remark ?? '',
  subcounters: body.subcounters,
  alertThresholds: body.alert_thresholds,
});

/** The adapters of the app-quotas function: everything under `{P}/app-quotas`. */
export const appQuotaHandlers: HandlerSet<'app-quotas', UseCaseDeps> = {
  createQuota: async (request, deps) => {
    const { path, body } = parseRequest('createQuota', request);
    const quota = await createQuota(deps, {
      projectId: path.project_id,
      instanceId: path.instance_id,
      ...quotaFields(body),
    });
    return { status: 201, body: quotaView(quota) };
  },

  showQuota: async (request, deps) => {
    const { path } = parseRequest('showQuota', request);
    return {
      status: 200,
      body: quotaView(await showQuota(deps, quotaRefOf(path))),
    };
  },

  listQuotas: async (request, deps) => {
    const { path, query } = parseRequest('listQuotas', request);
    return {
      status: 200,
      body: pageView(await listQuotas(deps, { ...instanceRefOf(path), query }), 'quotas', quotaView),
    };
  },

  updateQuota: async (request, deps) => {
    const { path, body } = parseRequest('updateQuota', request);
    const quota = await updateQuota(deps, {
      projectId: path.project_id,
      instanceId: path.instance_id,
      quotaId: path.app_quota_id,
      ...quotaFields(body),
    });
    return { status: 200, body: quotaView(quota) };
  },

  deleteQuota: async (request, deps) => {
    const { path } = parseRequest('deleteQuota', request);
    await deleteQuota(deps, quotaRefOf(path));
    return { status: 204 };
  },

  bindApps: async (request, deps) => {
    const { path, body } = parseRequest('bindApps', request);
    const applies = await bindApps(deps, {
      projectId: path.project_id,
      instanceId: path.instance_id,
      quotaId: path.app_quota_id,
      appIds: body.app_ids,
    });
    return { status: 201, body: { applies: applies.map(bindingView) } };
  },

  unbindApp: async (request, deps) => {
    const { path } = parseRequest('unbindApp', request);
    await unbindApp(deps, bindingRefOf(path));
    return { status: 204 };
  },

  listBoundApps: async (request, deps) => {
    const { path, query } = parseRequest('listBoundApps', request);
    const { quota, page } = await listBoundApps(deps, {
      ...quotaRefOf(path),
      query: {
        offset: query.offset,
        limit: query.limit,
        name: query.app_name,
      },
    });
    return { status: 200, body: pageView(page, 'apps', (binding) => boundAppView(binding, quota)) };
  },

  listBindableApps: async (request, deps) => {
    const { path, query } = parseRequest('listBindableApps', request);
    const page = await listBindableApps(deps, {
      ...quotaRefOf(path),
      query: {
        offset: query.offset,
        limit: query.limit,
        name: query.app_name,
      },
    });
    return { status: 200, body: pageView(page, 'apps', bindableAppView) };
  },

  listQuotaUsage: async (request, deps) => {
    const { path, query } = parseRequest('listQuotaUsage', request);
    const page = await listQuotaUsage(deps, { ...quotaRefOf(path), query });
    return { status: 200, body: pageView(page, 'apps', appUsageView) };
  },
};
