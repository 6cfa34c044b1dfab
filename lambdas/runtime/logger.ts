import { Logger } from '@aws-lambda-powertools/logger';

/**
 * Structured JSON logs with the request and connection ids appended per invocation. Level and service name
 * come from POWERTOOLS_LOG_LEVEL and POWERTOOLS_SERVICE_NAME.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'live-chat' });
