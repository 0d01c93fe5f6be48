import type { RecordStore } from "../store/record-store.js";

/** Something that happened to a distribution, for a chart's time axis. */
export type ActivityMark = { at: number; label: "purge" | "deploy" };

/**
 * The distribution's purges (each invalidation sent) and deploys (each change Deployed) since a
 * time, from the audit log: what a chart marks on its time axis. A log that cannot be read marks
 * nothing rather than holding up the chart.
 */
export async function activityMarks(
  records: Pick<RecordStore, "audit">,
  distributionId: string,
  since: number,
): Promise<ActivityMark[]> {
  const entries = await records.audit.query({ distributionId, since, limit: 500 }).catch(() => []);
  return entries.flatMap((e): ActivityMark[] =>
    e.type === "aws.CreateInvalidation"
      ? [{ at: e.at, label: "purge" }]
      : e.type === "change.deployed"
        ? [{ at: e.at, label: "deploy" }]
        : [],
  );
}
