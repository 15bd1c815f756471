/** The instances of a project: `{product}` is `apigw` or `apic`. */
export const INSTANCES_PATH = '/v2/{project_id}/{product}/instances';

/** One instance, the `{P}` every route under it starts with (SPEC §1). */
export const INSTANCE_PATH = `${INSTANCES_PATH}/{instance_id}`;
