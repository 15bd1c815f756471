import { Logger } from '@aws-lambda-powertools/logger';
import { SERVICE_NAME } from './config.ts';

/**
 * The one structured JSON logger of the service (Powertools). Its level comes from
 * `POWERTOOLS_LOG_LEVEL` (the tests set it to SILENT).
 */
export const logger = new Logger({ serviceName: SERVICE_NAME });
