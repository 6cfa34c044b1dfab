/**
 * The redelivery queue's policy, for the stack's SQS queue and the local one alike: a frame whose post
 * failed is offered to the consumer after `DelaySeconds` (lambdas/push/redelivery.ts), then again after each
 * visibility timeout, at most `maxReceiveCount` times in all, then kept in the dead-letter queue.
 */
export const REDELIVERY = {
  /** At least six times the consumer's timeout, as AWS advises for an SQS event source. */
  visibilityTimeoutSeconds: 60,
  maxReceiveCount: 3,
  /** How long a frame is worth posting late at all; older ones expire unseen (the client catches up). */
  retentionSeconds: 15 * 60,
} as const;
