/**
 * Log messages that the stack's metric filters count (lib/constructs/observability.ts): spelled once, so a
 * reworded log line cannot silently stop an alarm.
 */
export const FRAME_NOT_DELIVERED = 'Frame not delivered';
