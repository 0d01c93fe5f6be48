import { describe, expect, it } from "vitest";
import { effectivePolicy } from "../../src/approvals/policy.js";
import { checkIacOwnership, describeIacOwner, iacOwnerOf } from "../../src/changes/iac-ownership.js";
import { createLogger } from "../../src/logger.js";

describe("who owns a distribution, from its tags", () => {
  it("knows CloudFormation's own tag, then the configured ones in order", () => {
    expect(iacOwnerOf({ "aws:cloudformation:stack-name": "edge-prod", team: "web" }, [])).toEqual({
      tool: "CloudFormation",
      tag: "aws:cloudformation:stack-name=edge-prod",
    });
    const markers = ["managed-by=terraform", "pulumi:project"];
    expect(iacOwnerOf({ "managed-by": "Terraform" }, markers)).toEqual({
      tool: "Terraform",
      tag: "managed-by=Terraform",
    });
    expect(iacOwnerOf({ "pulumi:project": "edge" }, markers)).toEqual({
      tool: "edge",
      tag: "pulumi:project=edge",
    });
    expect(iacOwnerOf({ "managed-by": "hand" }, markers)).toBeUndefined();
    expect(iacOwnerOf({}, markers)).toBeUndefined();
  });

  it("says what the next apply does to the change", () => {
    expect(describeIacOwner({ tool: "Terraform", tag: "managed-by=terraform" }, "web")).toBe(
      "`web` is managed by Terraform (tag `managed-by=terraform`): the next apply will revert this change unless the code changes too.",
    );
  });

  it("applies the policy: warn by default, a reason, or a refusal; unreadable tags stop only a policy that must know", async () => {
    expect(effectivePolicy(undefined, undefined).iacManaged).toBe("warn");
    const logger = createLogger("error");
    const tagged = { getDistributionTags: async () => ({ "managed-by": "terraform" }) };
    const target = { alias: "web", id: "E1" };
    const markers = ["managed-by=terraform"];
    await expect(
      checkIacOwnership({ cloudfront: tagged, logger }, target, { iacManaged: "warn", markers }),
    ).resolves.toEqual({ tool: "Terraform", tag: "managed-by=terraform" });
    await expect(
      checkIacOwnership({ cloudfront: tagged, logger }, target, { iacManaged: "require-reason", markers }),
    ).rejects.toThrow(/wants a reason/);
    await expect(
      checkIacOwnership({ cloudfront: tagged, logger }, target, {
        iacManaged: "require-reason",
        markers,
        reason: "INC-1",
      }),
    ).resolves.toBeDefined();
    await expect(
      checkIacOwnership({ cloudfront: tagged, logger }, target, {
        iacManaged: "refuse",
        markers,
        reason: "x",
      }),
    ).rejects.toThrow(
      /refuses changes from here \(iacManaged: refuse\): change the code instead\. Nothing was sent\./,
    );

    const denied = {
      getDistributionTags: async () => {
        throw Object.assign(new Error("not allowed"), { name: "AccessDenied" });
      },
    };
    await expect(
      checkIacOwnership({ cloudfront: denied, logger }, target, { iacManaged: "warn", markers }),
    ).resolves.toBeUndefined();
    await expect(
      checkIacOwnership({ cloudfront: denied, logger }, target, { iacManaged: "refuse", markers }),
    ).rejects.toThrow(/I could not read the tags of `web`.*Nothing was sent\./);
  });
});
