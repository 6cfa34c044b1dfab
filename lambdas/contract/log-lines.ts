/**
 * Log messages that the stack's metric filters count (lib/constructs/observability.ts): spelled once, so a
 * reworded log line cannot silently stop an alarm.
 */
export const FRAME_NOT_DELIVERED = 'Frame not delivered';

/**
 * What Lambda itself logs when a function outlives its timeout (`Task timed out after 10.00 seconds`); the stack
 * counts it, and the local runtime logs the same line.
 */
export const TASK_TIMED_OUT = 'Task timed out';
