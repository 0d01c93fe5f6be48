import { describeAwsError } from "../aws/aws-errors.js";
import type { CloudFrontGateway } from "../aws/cloudfront-gateway.js";
import type { IacManaged } from "../config/policy-schema.js";
import { UserError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { IacOwner } from "../store/change-spec.js";
import { quote, shorten } from "../text/plain-text.js";

/** The tag CloudFormation puts on every resource of a stack (and so on every CDK-made one). */
export const CLOUDFORMATION_STACK_TAG = "aws:cloudformation:stack-name";

/** How tools are usually written in tags, and how people write them. */
const TOOL_NAMES: Record<string, string> = {
  terraform: "Terraform",
  opentofu: "OpenTofu",
  tofu: "OpenTofu",
  pulumi: "Pulumi",
  cdk: "AWS CDK",
  cloudformation: "CloudFormation",
  crossplane: "Crossplane",
};

/**
 * Who owns a distribution, from its tags: CloudFormation's own tag first, then the configured
 * markers in their order (`key=value`, or `key` for any value). Pure: the tags are read elsewhere.
 */
export function iacOwnerOf(tags: Record<string, string>, markers: readonly string[]): IacOwner | undefined {
  const stack = tags[CLOUDFORMATION_STACK_TAG];
  if (stack !== undefined)
    return { tool: "CloudFormation", tag: `${CLOUDFORMATION_STACK_TAG}=${shorten(stack, 128)}` };
  for (const marker of markers) {
    const [key = "", wanted] = marker.split("=", 2);
    const value = tags[key];
    if (value === undefined || (wanted !== undefined && value.toLowerCase() !== wanted.toLowerCase()))
      continue;
    const named = (wanted ?? value).trim();
    return {
      tool: TOOL_NAMES[named.toLowerCase()] ?? (shorten(named, 40) || key),
      tag: `${key}=${shorten(value, 128)}`,
    };
  }
  return undefined;
}

/** What the preview says of an owned distribution: what will happen to the change if nothing else does. */
export function describeIacOwner(owner: IacOwner, alias: string): string {
  const undo =
    owner.tool === "CloudFormation"
      ? "the next stack update will revert this change unless the template changes too"
      : `the next apply will revert this change unless the code changes too`;
  return `${quote(alias)} is managed by ${owner.tool} (tag ${quote(owner.tag)}): ${undo}.`;
}

/**
 * Reads the distribution's tags and applies the policy's `iacManaged`: undefined where no tool owns
 * it; the owner where the change may go on (with a reason, where the policy wants one); a refusal
 * otherwise. Tags that cannot be read stop only a policy that must know (`require-reason`, `refuse`).
 */
export async function checkIacOwnership(
  deps: { cloudfront: Pick<CloudFrontGateway, "getDistributionTags">; logger: Logger },
  target: { alias: string; id: string },
  rule: { iacManaged: IacManaged; markers: readonly string[]; reason?: string },
): Promise<IacOwner | undefined> {
  let tags: Record<string, string>;
  try {
    tags = await deps.cloudfront.getDistributionTags(target.id);
  } catch (error) {
    const why = describeAwsError(error).explanation;
    if (rule.iacManaged === "warn") {
      deps.logger.warn("Could not read a distribution's tags", { distributionId: target.id, error: why });
      return undefined;
    }
    throw new UserError(
      `I could not read the tags of ${quote(target.alias)} to know whether infrastructure as code owns it, and its policy needs to know (${rule.iacManaged}): ${why} Nothing was sent.`,
    );
  }
  const owner = iacOwnerOf(tags, rule.markers);
  if (!owner) return undefined;
  if (rule.iacManaged === "refuse")
    throw new UserError(
      `${describeIacOwner(owner, target.alias)} Its policy refuses changes from here (iacManaged: refuse): change the code instead. Nothing was sent.`,
    );
  if (rule.iacManaged === "require-reason" && !rule.reason?.trim())
    throw new UserError(
      `${describeIacOwner(owner, target.alias)} Its policy wants a reason for changing it here: ask again with \`--reason "…"\` (say why, and that the code will follow). Nothing was sent.`,
    );
  return owner;
}
