import { z } from "zod";

export const actorSchema = z.object({ userId: z.string(), teamId: z.string() });
export type Actor = z.infer<typeof actorSchema>;

export const purgeStateSchema = z.enum(["requested", "creating", "in-progress", "completed", "failed"]);
export type PurgeState = z.infer<typeof purgeStateSchema>;

/** A purge from the moment it is asked for until its thread has its final message. */
export const purgeOperationSchema = z.object({
  id: z.string(),
  kind: z.literal("purge"),
  alias: z.string(),
  distributionId: z.string(),
  paths: z.array(z.string()),
  // Deterministic per operation so that a retry after a crash returns the same invalidation.
  callerReference: z.string(),
  requestedBy: actorSchema,
  channelId: z.string(),
  messageTs: z.string().optional(),
  state: purgeStateSchema,
  invalidationId: z.string().optional(),
  requestedAt: z.number(),
  createdAt: z.number().optional(),
  finishedAt: z.number().optional(),
  error: z.string().optional(),
  notes: z.array(z.string()).default([]),
  // What the thread has been told, so a restart neither repeats nor skips a reply.
  announced: z.object({ created: z.boolean(), final: z.boolean() }).default({ created: false, final: false }),
  lastPolledAt: z.number().optional(),
});
export type PurgeOperation = z.infer<typeof purgeOperationSchema>;

export const storeDataSchema = z.object({
  version: z.literal(1).default(1),
  operations: z.array(purgeOperationSchema).default([]),
});
export type StoreData = z.infer<typeof storeDataSchema>;

export function emptyStoreData(): StoreData {
  return storeDataSchema.parse({});
}
