import type { HandlerSet } from '../http/function-handler.ts';
import { parseWith } from '../http/validation.ts';
import { appNameListQuery } from '../schemas/list-query.ts';
import { instancePath, quotaPath } from '../schemas/path.ts';
import { bindAppsBody, quotaBody } from '../schemas/quota-bodies.ts';
import { bindApps } from '../use-cases/bind-apps.ts';
import { createQuota } from '../use-cases/create-quota.ts';
import { listBoundApps } from '../use-cases/list-bound-apps.ts';
import { notYetAvailable } from './not-yet-available.ts';
import { bindingView, pageView, quotaAppView, quotaView } from './views.ts';

/** The adapters of the app-quotas function: everything under `{P}/app-quotas`. */
export const appQuotaHandlers: HandlerSet<'app-quotas'> = {
  createQuota: async (request, deps) => {
    const path = parseWith(instancePath, request.pathParameters, 'path');
    const body = parseWith(quotaBody, request.body, 'body');
    const quota = await createQuota(deps, {
      projectId: path.project_id,
      instanceId: path.instance_id,
      name: body.name,
      callLimits: body.call_limits,
      timeUnit: body.time_unit,
      timeInterval: body.time_interval,
      resetTime: body.reset_time ?? undefined,
      remark: body.remark ?? '',
    });
    return { status: 201, body: quotaView(quota) };
  },

  bindApps: async (request, deps) => {
    const path = parseWith(quotaPath, request.pathParameters, 'path');
    const body = parseWith(bindAppsBody, request.body, 'body');
    const applies = await bindApps(deps, {
      projectId: path.project_id,
      instanceId: path.instance_id,
      quotaId: path.app_quota_id,
      appIds: body.app_ids,
    });
    return { status: 201, body: { applies: applies.map(bindingView) } };
  },

  listBoundApps: async (request, deps) => {
    const path = parseWith(quotaPath, request.pathParameters, 'path');
    const query = parseWith(appNameListQuery, request.query, 'query');
    const { quota, page } = await listBoundApps(deps, path.project_id, path.instance_id, path.app_quota_id, {
      offset: query.offset,
      limit: query.limit,
      name: query.app_name,
    });
    return { status: 200, body: pageView(page, 'apps', (binding) => quotaAppView(binding, quota)) };
  },

  showQuota: notYetAvailable,
  listQuotas: notYetAvailable,
  updateQuota: notYetAvailable,
  deleteQuota: notYetAvailable,
  unbindApp: notYetAvailable,
  listBindableApps: notYetAvailable,
};
