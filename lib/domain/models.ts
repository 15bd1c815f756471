/** An instance: the gateway everything else belongs to. */
export interface Instance {
  readonly projectId: string;
  readonly instanceId: string;
  readonly name: string;
  readonly description: string;
  readonly createTime: Date;
}

/** App status: 1 enabled (the only status the API sets), 2 disabled. */
export type AppStatus = 1 | 2;

/** An app: a credential of an instance. Its secret is never part of it: the store keeps only a hash. */
export interface App {
  readonly projectId: string;
  readonly instanceId: string;
  readonly appId: string;
  readonly name: string;
  readonly remark: string;
  readonly status: AppStatus;
  readonly appKey: string;
  readonly registerTime: Date;
  readonly updateTime: Date;
}

/** An app with its binding, as the binding operations read it. */
export interface AppBinding {
  readonly app: App;
  readonly quotaId: string | undefined;
  readonly boundTime: Date | undefined;
  /** How many sub-counters its credential has now. */
  readonly subcounters: number;
  /** The bind that bound it. */
  readonly bindId: string | undefined;
}
