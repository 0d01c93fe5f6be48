/** Audit entry types (stored codes) as people read them in Slack. */
const AUDIT_WORDS: Record<string, string> = {
  "purge.requested": "purge requested",
  "purge.completed": "purge completed",
  "purge.failed": "purge failed",
  "approval.requested": "approval requested",
  "approval.approved": "approved",
  "approval.rejected": "rejected",
  "approval.expired": "request expired",
  "approval.cancelled": "request withdrawn",
  "approval.withdrawn": "request withdrawn",
  "change.deployed": "change deployed",
  "change.failed": "change failed",
  "environment.requested": "environment requested",
  "environment.ready": "environment ready",
  "environment.failed": "environment not created",
  "environment.delete-requested": "environment deletion started",
  "environment.delete-failed": "environment not deleted",
  "watch.added": "watch added",
  "watch.removed": "watch removed",
  "alert.breach": "alert",
  "alert.recovery": "recovered",
  "aws.CreateInvalidation": "invalidation sent to CloudFront",
  "aws.UpdateDistribution": "distribution written",
  "aws.CreateDistribution": "distribution created",
  "aws.CreateCachePolicy": "cache policy created",
  "aws.DeleteDistribution": "distribution deleted",
  "aws.CreateRealtimeLogConfig": "real-time log config created",
  "aws.UpdateRealtimeLogConfig": "real-time log config updated",
};

export function describeAuditType(type: string): string {
  return AUDIT_WORDS[type] ?? type;
}
