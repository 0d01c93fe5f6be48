import { z } from "zod";

/** CloudFront's bounds on a continuous deployment policy: a weight above 0 and at most 15 %. */
export const MAX_STAGED_WEIGHT = 0.15;
/** A header-based policy's header must carry CloudFront's prefix. */
export const STAGED_HEADER_PREFIX = "aws-cf-cd-";

/** Which viewers a staged change reaches: a share of the traffic, or requests with a header. */
export const stagedTrafficSchema = z.union([
  z.strictObject({ weight: z.number().gt(0).lte(MAX_STAGED_WEIGHT) }),
  z.strictObject({
    header: z.strictObject({
      name: z.string().regex(/^aws-cf-cd-[A-Za-z0-9-]{1,100}$/i, `must start with ${STAGED_HEADER_PREFIX}`),
      value: z.string().regex(/^[\x21-\x7e]{1,256}$/, "must be 1 to 256 visible characters"),
    }),
  }),
]);
export type StagedTraffic = z.infer<typeof stagedTrafficSchema>;

/** One reading of a metric on both sides, for the thread and the verdict. */
const sideBySideSchema = z.object({ staging: z.number().optional(), primary: z.number().optional() });
export const stagedFiguresSchema = z.object({
  at: z.number(),
  "5xxErrorRate": sideBySideSchema,
  "4xxErrorRate": sideBySideSchema,
  OriginLatency: sideBySideSchema,
});
export type StagedFigures = z.infer<typeof stagedFiguresSchema>;

export const STAGED_PHASES = [
  /** Both distributions deploy the staging copy's change and the policy that sends it traffic. */
  "deploying",
  /** Both serve; the staging side's metrics are read beside the primary's. */
  "soaking",
  /** The soak passed: a person promotes or aborts (`/cdn promote|abort`). */
  "awaiting-promotion",
  /** UpdateDistributionWithStagingConfig, then the policy turned off. */
  "promoting",
  /** The policy turned off: all traffic back to the primary, which was never written. */
  "pulling-back",
] as const;

/**
 * A staged change's own facts (`changes/staged-machine.ts`): the staging copy and the policy it
 * was set up with, each set-up step's result (so a restart resumes at the next), the soak's latest
 * figures, and who or what decided how it ends.
 */
export const stagedRunSchema = z.object({
  traffic: stagedTrafficSchema,
  phase: z.enum(STAGED_PHASES).optional(),
  stagingId: z.string().optional(),
  stagingDomain: z.string().optional(),
  stagingWrittenAt: z.number().optional(),
  /** A TTL change on a managed cache policy: the copy the staging copy's behaviour points at. */
  policyCopyId: z.string().optional(),
  policyId: z.string().optional(),
  /** When the policy was on and attached to the primary: the change then serves its share. */
  attachedAt: z.number().optional(),
  soakUntil: z.number().optional(),
  figures: stagedFiguresSchema.optional(),
  /** Why it ends as it does: the soak passed, a person decided, or a metric breached. */
  verdict: z
    .object({
      /** `diverged`: not promoted, the primary or the copy having changed since (`reason`: which fields). */
      kind: z.enum(["promote", "abort", "breach", "diverged"]),
      at: z.number(),
      /** The person who promoted or aborted; none when the bot decided. */
      by: z.object({ userId: z.string(), teamId: z.string() }).optional(),
      reason: z.string().optional(),
    })
    .optional(),
  /** Stored right before UpdateDistributionWithStagingConfig: after a crash, it may have landed. */
  promoteStartedAt: z.number().optional(),
});
export type StagedRun = z.infer<typeof stagedRunSchema>;
