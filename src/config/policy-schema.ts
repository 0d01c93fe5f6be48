import { z } from "zod";

/** What a request asks for, as far as policy is concerned. */
export const policyActionSchema = z.enum(["purge", "wildcard-purge", "tag-purge", "change", "environment"]);
export type PolicyAction = z.infer<typeof policyActionSchema>;

const userId = z.string().regex(/^[UW][A-Z0-9]{2,}$/, "must be a Slack user id such as U012AB3CD");
const groupId = z.string().regex(/^S[A-Z0-9]{2,}$/, "must be a Slack user-group id such as S0614TZR7");
const channelId = z.string().regex(/^[CGD][A-Z0-9]{2,}$/, "must be a Slack channel id such as C024BE91L");

export const principalsSchema = z
  .strictObject({
    users: z.array(userId).default([]).describe("Slack user ids."),
    groups: z.array(groupId).default([]).describe("Slack user-group ids; members are looked up in Slack."),
  })
  .describe("A set of people: listed users plus members of listed user groups.");
export type Principals = z.infer<typeof principalsSchema>;

export const durationSchema = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)$/, "must be a duration such as 500ms, 90s, 30m, 2h or 30d")
  .transform((text) => {
    const value = Number.parseInt(text, 10);
    const unit = text.replace(/^\d+/, "");
    return value * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit] ?? 1000);
  });

/** What a change does to a distribution that infrastructure as code owns. */
export const iacManagedSchema = z.enum(["warn", "require-reason", "refuse"]);
export type IacManaged = z.infer<typeof iacManagedSchema>;

/** Every key optional: a distribution's policy overrides the defaults key by key. */
export const policySchema = z.strictObject({
  requesters: principalsSchema
    .extend({
      channels: z.array(channelId).default([]).describe("Channels requests may come from."),
      clients: z
        .array(
          z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, "must be the name of a client in `api.clients`"),
        )
        .default([])
        .describe("API clients (pipelines, agents) that may ask, by name, beside the people listed."),
    })
    .optional()
    .describe("Who may ask for actions. Unset: anyone, from any channel the bot is in."),
  approvers: principalsSchema
    .optional()
    .describe("Who may approve. Unset: anyone in the channel except the requester."),
  requireApprovalFor: z
    .array(policyActionSchema)
    .optional()
    .describe(
      "Actions that wait for approval: `purge`, `wildcard-purge`, `tag-purge` (a purge by cache tag), `change`, `environment` (creating or deleting one). A purge with wildcards and tags waits if either does. Default: wildcard-purge, change and environment.",
    ),
  approvalsRequired: z
    .number()
    .int()
    .min(1)
    .max(5)
    .optional()
    .describe("Approvals needed, from distinct people. Default 1."),
  expiresAfter: durationSchema.optional().describe("How long a request stays open. Default 30m."),
  iacManaged: iacManagedSchema
    .optional()
    .describe(
      'A change to a distribution that infrastructure as code owns (its tags say so: CloudFormation\'s `aws:cloudformation:stack-name`, or one of `iac.tags`): `warn` (the preview says the next apply will revert it unless the code changes too; the default), `require-reason` (and the requester gives one, `--reason "…"`), `refuse` (nothing is written: change the code instead).',
    ),
  stepUp: z
    .boolean()
    .optional()
    .describe(
      "Approvers confirm in a window that shows exactly what will be written (the preview): the window's Approve approves, a click in a busy channel alone never does. Default false.",
    ),
  breakGlass: principalsSchema
    .optional()
    .describe(
      'Who may run a change that needs approval at once during an incident, giving a reason (`--break-glass "origin melting, INC-231"`): the channel and the approvers are told, the audit marks it, and a review stays open until an approver acknowledges it. Never API clients or agents. Unset: nobody.',
    ),
});
export type PolicyConfig = z.infer<typeof policySchema>;

export const POLICY_DEFAULTS = {
  requireApprovalFor: ["wildcard-purge", "change", "environment"] as PolicyAction[],
  approvalsRequired: 1,
  expiresAfterMs: 30 * 60_000,
  iacManaged: "warn" as IacManaged,
  stepUp: false,
};
