/**
 * What names an object of the service: every use case takes one of these (with its own fields
 * beside) as its input object, never positional ids, so a call reads as what it is about.
 */

/** A project: the tenant a token or an access key acts in. */
export interface ProjectRef {
  readonly projectId: string;
}

/** An instance (a gateway) of a project. */
export interface InstanceRef extends ProjectRef {
  readonly instanceId: string;
}

/** An app (a credential) of an instance. */
export interface AppRef extends InstanceRef {
  readonly appId: string;
}

/** A quota of an instance. */
export interface QuotaRef extends InstanceRef {
  readonly quotaId: string;
}

/** An app as bound to a quota (the unbind route names both). */
export interface BindingRef extends QuotaRef {
  readonly appId: string;
}
