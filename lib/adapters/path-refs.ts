import type { AppRef, BindingRef, InstanceRef, ProjectRef, QuotaRef } from '#domain/refs.ts';

/** The path parameters of the routes, as their schemas give them (snake case, as the URL names them). */
interface PathParameters {
  readonly project_id: string;
  readonly instance_id?: string;
  readonly app_quota_id?: string;
  readonly app_id?: string;
}

const present = (value: string | undefined, name: string): string => {
  if (value === undefined) throw new Error(`the route's path has no ${name}`);
  return value;
};

/** The project a route's path names. */
export const projectRefOf = (path: PathParameters): ProjectRef => ({ projectId: path.project_id });

/** The instance a route's path names. */
export const instanceRefOf = (path: PathParameters): InstanceRef => ({
  projectId: path.project_id,
  instanceId: present(path.instance_id, 'instance_id'),
});

/** The app a route's path names. */
export const appRefOf = (path: PathParameters): AppRef => ({
  ...instanceRefOf(path),
  appId: present(path.app_id, 'app_id'),
});

/** The quota a route's path names. */
export const quotaRefOf = (path: PathParameters): QuotaRef => ({
  ...instanceRefOf(path),
  quotaId: present(path.app_quota_id, 'app_quota_id'),
});

/** The quota and the app bound to it that a route's path names. */
export const bindingRefOf = (path: PathParameters): BindingRef => ({
  ...quotaRefOf(path),
  appId: present(path.app_id, 'app_id'),
});
