import { describe, expect, it } from "vitest";
import {
  effectivePolicy,
  mayApprove,
  mayRequest,
  needsApproval,
  purgeActions,
} from "../../src/approvals/policy.js";
import type { CdnbotConfig } from "../../src/config/config-schema.js";
import { ConfigError, parseConfig } from "../../src/config/load-config.js";
import type { PolicyAction } from "../../src/config/policy-schema.js";

/** The policy the bot applies to the config's distribution `alias`. */
function policyOf(config: CdnbotConfig, alias: string) {
  return effectivePolicy(config.policy, config.distributions[alias]?.policy);
}

const groups: Record<string, string[]> = { SSRE: ["USRE1", "USRE2"], SDEV: ["UDEV1"] };
const membersOf = async (id: string) => groups[id] ?? [];

const config = parseConfig(
  `
policy:
  requesters:
    groups: [SSRE, SDEV]
    channels: [CDEPLOY, CINCIDENT]
  approvers:
    groups: [SSRE]
distributions:
  web:
    id: E2EXAMPLE123
  docs:
    id: E3DOCS456789
    policy:
      requesters: { users: [UWRITER], channels: [] }
      requireApprovalFor: []
  shop:
    id: E4SHOP000000
    policy:
      requireApprovalFor: [purge, wildcard-purge, change]
      approvalsRequired: 2
      expiresAfter: 10m
`,
  "cdnbot.yml",
);

describe("policy defaults", () => {
  const smallest = parseConfig("distributions:\n  web:\n    id: E2EXAMPLE123\n", "x");

  it("is secure with the smallest config: explicit purges run, wildcards and changes need one approval", () => {
    const policy = policyOf(smallest, "web");
    expect(needsApproval(policy, "purge")).toBe(false);
    expect(needsApproval(policy, "wildcard-purge")).toBe(true);
    expect(needsApproval(policy, "change")).toBe(true);
    expect(policy.approvalsRequired).toBe(1);
    expect(policy.expiresAfterMs).toBe(30 * 60_000);
  });

  it("lets anyone request and anyone but the requester approve", async () => {
    const policy = policyOf(smallest, "web");
    expect(await mayRequest(policy, { userId: "UANY", channelId: "CANY" }, membersOf)).toEqual({
      allowed: true,
    });
    expect(await mayApprove(policy, { requestedBy: { userId: "UA" } }, "UB", membersOf)).toEqual({
      allowed: true,
    });
    expect(await mayApprove(policy, { requestedBy: { userId: "UA" } }, "UA", membersOf)).toMatchObject({
      allowed: false,
    });
  });

  it("classifies a purge by its paths", () => {
    expect(purgeActions(["/a", "/b"])).toEqual(["purge"]);
    expect(purgeActions(["/a", "/img/*"])).toEqual(["wildcard-purge"]);
    expect(purgeActions(["/a", "#sale"])).toEqual(["tag-purge"]);
    // Either kind may be the one the policy holds for approval.
    expect(purgeActions(["/img/*", "#sale"])).toEqual(["wildcard-purge", "tag-purge"]);
  });
});

describe("requesters × channels × distributions", () => {
  it.each([
    ["web", "USRE1", "CDEPLOY", true],
    ["web", "UDEV1", "CINCIDENT", true],
    ["web", "USRE1", "CRANDOM", false],
    ["web", "UOUTSIDER", "CDEPLOY", false],
    ["docs", "UWRITER", "CRANDOM", true],
    ["docs", "USRE1", "CDEPLOY", false],
    ["shop", "USRE2", "CDEPLOY", true],
    ["shop", "UOUTSIDER", "CINCIDENT", false],
  ])("%s: %s in %s may request: %s", async (alias, userId, channelId, allowed) => {
    expect((await mayRequest(policyOf(config, alias), { userId, channelId }, membersOf)).allowed).toBe(
      allowed,
    );
  });

  it("says why a request is refused", async () => {
    expect(
      await mayRequest(policyOf(config, "web"), { userId: "USRE1", channelId: "CRANDOM" }, membersOf),
    ).toEqual({
      allowed: false,
      reason: "requests for it are only taken in the channels the policy names (CDEPLOY, CINCIDENT)",
    });
    expect(
      await mayRequest(policyOf(config, "web"), { userId: "UX", channelId: "CDEPLOY" }, membersOf),
    ).toEqual({
      allowed: false,
      reason: "only members of user groups SSRE, SDEV may ask for it",
    });
  });
});

describe("actions needing approval per distribution", () => {
  const actions: PolicyAction[] = ["purge", "wildcard-purge", "change"];
  it.each([
    ["web", [false, true, true]],
    ["docs", [false, false, false]],
    ["shop", [true, true, true]],
  ] as const)("%s", (alias, expected) => {
    const policy = policyOf(config, alias);
    expect(actions.map((a) => needsApproval(policy, a))).toEqual(expected);
  });

  it("takes overrides key by key", () => {
    expect(policyOf(config, "shop")).toMatchObject({
      approvalsRequired: 2,
      expiresAfterMs: 600_000,
      approvers: { groups: ["SSRE"] },
    });
  });
});

describe("approvers", () => {
  it.each([
    ["USRE2", "USRE1", true],
    ["USRE1", "USRE1", false],
    ["UDEV1", "USRE1", true],
    ["USRE1", "UDEV1", false],
  ])("request by %s, approval by %s: %s", async (requester, approver, allowed) => {
    const decision = await mayApprove(
      policyOf(config, "web"),
      { requestedBy: { userId: requester } },
      approver,
      membersOf,
    );
    expect(decision.allowed).toBe(allowed);
  });
});

describe("policy config errors", () => {
  it("reports every problem with its key path", () => {
    let problems: string[] = [];
    try {
      parseConfig(
        "policy:\n  approvers:\n    users: [bob]\n  requireApprovalFor: [purge, nuke]\n  expiresAfter: soon\ndistributions:\n  web:\n    id: E2EXAMPLE123\n    policy:\n      approvalsRequired: 0\n",
        "cdnbot.yml",
      );
    } catch (error) {
      if (error instanceof ConfigError) problems = error.problems;
    }
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^policy\.approvers\.users\.0: must be a Slack user id/),
        expect.stringMatching(/^policy\.requireApprovalFor\.1: /),
        expect.stringMatching(/^policy\.expiresAfter: must be a duration such as 500ms, 90s, 30m, 2h or 30d/),
        expect.stringMatching(/^distributions\.web\.policy\.approvalsRequired: /),
      ]),
    );
  });
});

describe("pipelines and agents under the policy", () => {
  const withClients = parseConfig(
    `
policy:
  requesters:
    users: [UALICE]
    clients: [web-deploy]
distributions:
  web:
    id: E2EXAMPLE123
`,
    "cdnbot.yml",
  );
  const policy = policyOf(withClients, "web");
  const ask = (userId: string) => mayRequest(policy, { userId, channelId: "CWEB" }, membersOf);

  it("lets the clients it names ask, like the people it names, and no other", async () => {
    expect(await ask("pipeline:web-deploy")).toEqual({ allowed: true });
    expect(await ask("UALICE")).toEqual({ allowed: true });
    expect(await ask("agent:helper")).toEqual({
      allowed: false,
      reason: "only API client web-deploy and user UALICE may ask for it",
    });
    // A person cannot pass for a client by name, nor a client for a person.
    expect((await ask("web-deploy")).allowed).toBe(false);
  });

  it("never lets a client approve, whatever the rule", async () => {
    const open = policyOf(withClients, "web");
    expect(
      await mayApprove(open, { requestedBy: { userId: "UALICE" } }, "pipeline:web-deploy", membersOf),
    ).toEqual({
      allowed: false,
      reason: "Only people approve requests.",
    });
  });
});
