import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The one structured JSON logger of the service (Powertools). Its level comes from
 * `POWERTOOLS_LOG_LEVEL` (the tests set it to SILENT).
 */
export const logger = new Logger({ serviceName: 'credential-quota' });
