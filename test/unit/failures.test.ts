import { describe, expect, it } from "vitest";
import { purgeFailedReply } from "../../src/messages/purge-messages.js";
import { FAILURE_CODES, type Failure, failureSchema } from "../../src/store/failures.js";
import { purgeOperationSchema } from "../../src/store/records.js";
import { awsRefusal, describeFailure, failureText } from "../../src/workflow/failures.js";
import { aPurge } from "../support/fixtures.js";

const examples: Record<Failure["code"], Failure> = {
  "aws-refused": { code: "aws-refused", step: "create", awsCode: "CNAMEAlreadyExists", awsMessage: "taken" },
  "invalidation-lost": { code: "invalidation-lost", awsCode: "NoSuchInvalidation" },
  "changed-since-preview": {
    code: "changed-since-preview",
    document: { kind: "cache-policy", name: "Caching-60s" },
    fields: [{ label: "default TTL", previewed: "60", now: "600" }],
  },
  "policy-swapped-since-preview": {
    code: "policy-swapped-since-preview",
    behavior: "default",
    was: "CachingOptimized",
    now: "abc",
    copy: "CachingOptimized-ttl-60",
  },
  "policy-name-taken": { code: "policy-name-taken", name: "strict" },
  "etag-kept-changing": { code: "etag-kept-changing", document: { kind: "distribution" } },
  "no-longer-applies": { code: "no-longer-applies", reason: "There is no behaviour /img/* now." },
  "staged-pulled-back": {
    code: "staged-pulled-back",
    because: "breach",
    detail: "staging 5xx rate 12.0% against the primary's 0.1% for 2 minutes",
  },
  "staging-diverged": { code: "staging-diverged", fields: ["PriceClass"] },
  "template-gone": { code: "template-gone", template: "preview", source: "web" },
};

describe("failures stored as codes", () => {
  it("words every code, from its parameters alone", () => {
    for (const code of FAILURE_CODES) {
      const failure = failureSchema.parse(examples[code]);
      expect(describeFailure(failure)).toMatch(/\S/);
    }
    expect(describeFailure(examples["aws-refused"])).toBe(
      "CloudFront refused to create it: Another distribution already serves this alias; CloudFront lets one alias point at one distribution.",
    );
    expect(describeFailure(examples["changed-since-preview"])).toBe(
      "Someone else changed cache policy Caching-60s since the preview (default TTL was 60 in the preview and is 600 now). Nothing was written; ask again to change it from the current settings.",
    );
  });

  it("keeps AWS's code and message, and words them as the AWS error would be", () => {
    const error = Object.assign(new Error("User is not authorized"), { name: "AccessDenied", $metadata: {} });
    const failure = awsRefusal(error);
    expect(failure).toEqual({
      code: "aws-refused",
      awsCode: "AccessDenied",
      awsMessage: "User is not authorized",
    });
    expect(describeFailure(failure)).toMatch(/not allowed to do this/);
  });

  it("still shows the words a record kept before failures had codes, and the code's words after", () => {
    const old = purgeOperationSchema.parse(aPurge({ state: "failed", error: "CloudFront said no." }));
    expect(purgeFailedReply(old).text).toBe("Purge of web Failed: CloudFront said no.");
    const coded = aPurge({ state: "failed", failure: { code: "aws-refused", awsCode: "AccessDenied" } });
    expect(purgeFailedReply(coded).text).toMatch(/^Purge of web Failed: AWS refused: the bot's IAM identity/);
    expect(failureText({})).toBeUndefined();
  });
});
