import { z } from "zod";
import { changeSpecSchema } from "../store/change-spec.js";
import { stagedTrafficSchema } from "../store/staged-run.js";
import { ApiError } from "./api-errors.js";

/** The longest a caller may wait in one request; a pipeline asks again for longer. */
export const MAX_WAIT_SECONDS = 120;
/** How often a waiting request looks at the store (any replica may move the operation). */
export const WAIT_STEP_MS = 1_000;

const callbackUrl = z
  .string()
  .max(2048)
  .optional()
  .describe("Where to POST the operation's final state, signed (a host in api.callbacks.allowedHosts)");

export const purgeBodySchema = z
  .strictObject({
    distribution: z.string().min(1).max(100),
    paths: z
      .array(z.string().min(1).max(4096))
      .max(3000)
      .default([])
      .describe("Paths starting with / (a * may end one), or cache tags as #name"),
    tags: z
      .array(z.string().min(1).max(261))
      .max(3000)
      .default([])
      .describe(
        "Cache tags to purge (every object the origin tagged so), e.g. product-42; the distribution must read cache tags (/cdn cache-tags)",
      ),
    callbackUrl,
  })
  .refine((b) => b.paths.length + b.tags.length >= 1, {
    message: "give at least one path or tag",
    path: ["paths"],
  })
  .refine((b) => b.paths.length + b.tags.length <= 3000, {
    message: "at most 3,000 paths and tags in one purge",
    path: ["paths"],
  });

/** What a purge body asks to invalidate, as `/cdn purge` takes it: paths, then each tag as `tag:`. */
export function purgeItems(body: { paths: string[]; tags: string[] }): string[] {
  return [...body.paths, ...body.tags.map((t) => (/^(#|tag:)/i.test(t) ? t : `tag:${t}`))];
}
export type PurgeBody = z.infer<typeof purgeBodySchema>;

/** Every change kind but rollback, which is asked for in Slack, where its preview is read. */
const apiChangeSpecSchema = z.discriminatedUnion(
  "kind",
  changeSpecSchema.options.filter((o) => o.shape.kind.value !== "rollback") as unknown as [
    (typeof changeSpecSchema.options)[number],
    ...(typeof changeSpecSchema.options)[number][],
  ],
);

export const changeBodySchema = z.strictObject({
  distribution: z.string().min(1).max(100),
  change: apiChangeSpecSchema,
  staged: stagedTrafficSchema
    .optional()
    .describe(
      "Stage it first: written to the distribution's staging copy, which serves `weight` of requests (a fraction, at most 0.15: 0.05 is 5%) or those carrying `header` (its name starts with aws-cf-cd-), compared with the primary's metrics during the soak, pulled back by itself on a breach, then promoted (POST /api/v1/changes/{id}/promote) or aborted",
    ),
  reason: z
    .string()
    .trim()
    .min(1)
    .max(300)
    .optional()
    .describe(
      "Why, shown with the preview and kept in the audit log. Needed where the team's policy wants one for a distribution infrastructure as code owns (`iacManaged: require-reason`)",
    ),
  callbackUrl,
});

export const stagedDecisionBodySchema = z.strictObject({
  reason: z.string().min(1).max(500).optional().describe("Why, for the thread and the audit log"),
});

export const environmentBodySchema = z.strictObject({
  template: z.string().min(1).max(40).describe("A template in the config's environments.templates"),
  name: z
    .string()
    .min(1)
    .max(40)
    .describe("The new environment's name: its alias among the bot's distributions"),
  origin: z.string().min(1).max(253).describe("The origin host it serves from"),
  alias: z
    .string()
    .min(1)
    .max(253)
    .optional()
    .describe("Its alias, directly under the template's aliasDomain"),
});

export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const broken = malformedText(body);
  if (broken)
    throw new ApiError(
      400,
      "invalid_request",
      `${broken.where}: ${JSON.stringify(broken.text.toWellFormed())} holds half of a UTF-16 pair (a lone surrogate, shown as U+FFFD): no character at all, so it can be neither shown nor sent.`,
    );
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const where = issue.path.length > 0 ? issue.path.join(".") : "body";
  throw new ApiError(400, "invalid_request", `${where}: ${issue.message}`);
}

/**
 * The first string in a body that is not well-formed Unicode (JSON's `\uD800` escapes can carry half
 * a pair), and where: refused as a malformed request before anything reads it.
 */
function malformedText(value: unknown, where = "body"): { where: string; text: string } | undefined {
  if (typeof value === "string") return value.isWellFormed() ? undefined : { where, text: value };
  if (typeof value !== "object" || value === null) return undefined;
  for (const [key, inner] of Object.entries(value)) {
    const at = where === "body" ? key : `${where}.${key}`;
    const found = malformedText(inner, at) ?? (key.isWellFormed() ? undefined : { where: at, text: key });
    if (found) return found;
  }
  return undefined;
}
