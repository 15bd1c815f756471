import { CLIENT_TOKEN_HEADER, clientTokenOf } from '#http/client-token.ts';
import type { HandlerDeps, HandlerSet } from '#http/function-handler.ts';
import { appView, instanceView, listedAppView, pageView, quotaView, usageView, usageWindowView } from '#http/views.ts';
import { openApiDocument } from '#openapi/openapi-document.ts';
import { parseRequest } from '#schemas/operations.ts';
import { createApp } from '#use-cases/create-app.ts';
import { createInstance } from '#use-cases/create-instance.ts';
import { deleteApp } from '#use-cases/delete-app.ts';
import { deleteInstance } from '#use-cases/delete-instance.ts';
import { listApps } from '#use-cases/list-apps.ts';
import { listInstances } from '#use-cases/list-instances.ts';
import { listUsageHistory } from '#use-cases/list-usage-history.ts';
import type { UseCaseDeps } from '#use-cases/ports.ts';
import { showApp } from '#use-cases/show-app.ts';
import { showAppQuota } from '#use-cases/show-app-quota.ts';
import { showInstance } from '#use-cases/show-instance.ts';
import { showUsage } from '#use-cases/show-usage.ts';
import { resetAppSecret, updateApp } from '#use-cases/update-app.ts';
import { appRefOf, instanceRefOf, projectRefOf } from './path-refs.ts';

/** The adapters of the registry function: instances, apps, an app's quota and usage, health, the OpenAPI document. */
export const registryHandlers: HandlerSet<'registry', UseCaseDeps & Pick<HandlerDeps, 'basePath'>> = {
  createInstance: async (request, deps) => {
    const { path, body } = parseRequest('createInstance', request);
    const instance = await createInstance(deps, {
      projectId: path.project_id,
      name: body.instance_name,
      description: body.description ?? '',
    });
    return { status: 201, body: instanceView(instance) };
  },

  showInstance: async (request, deps) => {
    const { path } = parseRequest('showInstance', request);
    return { status: 200, body: instanceView(await showInstance(deps, instanceRefOf(path))) };
  },

  listInstances: async (request, deps) => {
    const { path, query } = parseRequest('listInstances', request);
    return {
      status: 200,
      body: pageView(
        await listInstances(deps, {
          ...projectRefOf(path),
          query: {
            offset: query.offset,
            limit: query.limit,
            name: query.name ?? query.instance_name,
            alsoName: query.name === undefined ? undefined : query.instance_name,
            id: query.instance_id,
          },
        }),
        'instances',
        instanceView,
      ),
    };
  },

  createApp: async (request, deps) => {
    const { path, body } = parseRequest('createApp', request);
    const { app, appSecret, clientToken } = await createApp(deps, {
      projectId: path.project_id,
      instanceId: path.instance_id,
      name: body.name,
      remark: body.remark ?? '',
      appKey: body.app_key,
      appSecret: body.app_secret,
      clientToken: clientTokenOf(request),
    });
    return {
      status: 201,
      body: { ...appView(app), app_secret: appSecret },
      headers: { [CLIENT_TOKEN_HEADER]: clientToken },
    };
  },

  showApp: async (request, deps) => {
    const { path } = parseRequest('showApp', request);
    return { status: 200, body: appView(await showApp(deps, appRefOf(path))) };
  },

  listApps: async (request, deps) => {
    const { path, query } = parseRequest('listApps', request);
    const page = await listApps(deps, {
      ...instanceRefOf(path),
      query: {
        offset: query.offset,
        limit: query.limit,
        name: query.name,
        exactName: query.precise_search === 'name',
        id: query.id,
        appKey: query.app_key,
        status: query.status,
      },
    });
    return { status: 200, body: pageView(page, 'apps', listedAppView) };
  },

  updateApp: async (request, deps) => {
    const { path, body } = parseRequest('updateApp', request);
    const app = await updateApp(deps, { ...appRefOf(path), name: body.name, remark: body.remark ?? '' });
    return { status: 200, body: appView(app) };
  },

  resetAppSecret: async (request, deps) => {
    const { path, body } = parseRequest('resetAppSecret', request);
    const { app, appSecret } = await resetAppSecret(deps, { ...appRefOf(path), appSecret: body.app_secret });
    return { status: 200, body: { ...appView(app), app_secret: appSecret } };
  },

  deleteApp: async (request, deps) => {
    const { path } = parseRequest('deleteApp', request);
    await deleteApp(deps, appRefOf(path));
    return { status: 204 };
  },

  showAppQuota: async (request, deps) => {
    const { path } = parseRequest('showAppQuota', request);
    return { status: 200, body: quotaView(await showAppQuota(deps, appRefOf(path))) };
  },

  showUsage: async (request, deps) => {
    const { path } = parseRequest('showUsage', request);
    return { status: 200, body: usageView(await showUsage(deps, appRefOf(path))) };
  },

  listUsageHistory: async (request, deps) => {
    const { path, query } = parseRequest('listUsageHistory', request);
    const page = await listUsageHistory(deps, { ...appRefOf(path), query });
    return { status: 200, body: pageView(page, 'history', usageWindowView) };
  },

  deleteInstance: async (request, deps) => {
    const { path } = parseRequest('deleteInstance', request);
    await deleteInstance(deps, instanceRefOf(path));
    return { status: 204 };
  },

  health: async () => ({ status: 200, body: { status: 'UP' } }),

  // Relative to the host it is served from, so it holds behind a custom domain's base path too.
  openapi: async (_request, deps) => ({
    status: 200,
    body: openApiDocument({ serverUrl: deps.basePath ? `/${deps.basePath}` : '/' }),
  }),
};
