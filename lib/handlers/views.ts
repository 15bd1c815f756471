import type { App, Instance } from '../domain/models.ts';
import type { Page } from '../domain/page.ts';
import { formatTime } from '../domain/time.ts';

/** An instance as the API shows it. */
export const instanceView = (instance: Instance) => ({
  instance_id: instance.instanceId,
  instance_name: instance.name,
  description: instance.description,
  create_time: formatTime(instance.createTime),
});

/** An app as show and list return it (never the secret). */
export const appView = (app: App) => ({
  id: app.appId,
  name: app.name,
  remark: app.remark,
  status: app.status,
  app_key: app.appKey,
  register_time: formatTime(app.registerTime),
  update_time: formatTime(app.updateTime),
});

/** A list answer: `{total, size, <name>: [...]}`. */
export const pageView = <T, V>(page: Page<T>, name: string, view: (item: T) => V) => ({
  total: page.total,
  size: page.items.length,
  [name]: page.items.map(view),
});
