import type { Instance } from '#domain/models.ts';
import { type InstanceItem, instanceFromItem } from '#store/items/instance-item.ts';
import { type Db, getItem } from '#store/table/db.ts';
import { instanceKey } from '#store/table/keys.ts';

/**
 * The instance, if it exists in this project: what consume reads to tell an unknown instance from
 * an unknown key, and what the control plane reads before every operation inside an instance.
 */
export const getInstance = async (db: Db, projectId: string, instanceId: string): Promise<Instance | undefined> => {
  const item = await getItem<InstanceItem>(db, instanceKey(projectId, instanceId));
  return item ? instanceFromItem(item) : undefined;
};
