import { describe, expect, it } from "vitest";
import { environmentTransition } from "../../src/environments/environment-machine.js";
import type { Environment } from "../../src/store/records.js";

const NOW = Date.UTC(2026, 10, 25, 12);
const ALICE = { userId: "UALICE", teamId: "T1" };
const BOB = { userId: "UBOB", teamId: "T1" };

const env = (overrides: Partial<Environment> = {}): Environment => ({
  version: 1,
  id: "RENV001",
  name: "pr-42",
  template: "preview",
  source: "web",
  originDomain: "pr-42.app.example.com",
  aliasHost: "pr-42.preview.example.com",
  state: "creating",
  requestedBy: ALICE,
  channelId: "C1",
  messageTs: "1.1",
  requestedAt: NOW - 60_000,
  told: [],
  announced: { created: false, deleted: false },
  ...overrides,
});

const ready = () =>
  env({ state: "ready", distributionId: "E2ENV", domainName: "d1.cloudfront.net", readyAt: NOW - 1000 });

describe("the environment state machine", () => {
  it("stores the create's intent once, before the call", () => {
    const started = environmentTransition(env(), { type: "create-started" }, NOW);
    expect(started?.env.createStartedAt).toBe(NOW);
    expect(environmentTransition(started!.env, { type: "create-started" }, NOW + 1)).toBeUndefined();
  });

  it("records the distribution made, tells the thread once, and registers it before the reply", () => {
    const created = environmentTransition(
      env(),
      {
        type: "created",
        distributionId: "E2ENV",
        domainName: "d1.cloudfront.net",
        proof: { kind: "answered", awsRequestId: "req-1" },
      },
      NOW,
    );
    expect(created).toMatchObject({
      env: { state: "deploying", distributionId: "E2ENV", createdAt: NOW, told: ["created"] },
      audit: [{ type: "aws.CreateDistribution", awsRequestId: "req-1", outcome: "ok", alias: "pr-42" }],
    });
    expect(created!.effects.map((e) => e.type)).toEqual(["registry-changed", "reply", "refresh-parent"]);
    // A second answer (a resumed step) moves nothing.
    expect(
      environmentTransition(
        created!.env,
        { type: "created", distributionId: "E2ENV", domainName: "x", proof: { kind: "found-after-restart" } },
        NOW,
      ),
    ).toBeUndefined();
  });

  it("says in the audit when a create was found after a restart rather than answered", () => {
    const found = environmentTransition(
      env({ createStartedAt: NOW - 5000 }),
      { type: "created", distributionId: "E2ENV", domainName: "d", proof: { kind: "found-after-restart" } },
      NOW,
    );
    expect(found?.audit[0]?.summary).toMatch(/reached AWS before a restart/);
    expect(found?.audit[0]?.awsRequestId).toBeUndefined();
  });

  it("is ready once Deployed, and says so once", () => {
    const deploying = env({
      state: "deploying",
      distributionId: "E2ENV",
      told: ["created"],
      nextPollAt: NOW,
    });
    const done = environmentTransition(deploying, { type: "deployed" }, NOW);
    expect(done).toMatchObject({
      env: { state: "ready", readyAt: NOW, announced: { created: true } },
      audit: [{ type: "environment.ready" }],
    });
    expect(done!.env.nextPollAt).toBeUndefined();
    expect(done!.effects).toContainEqual({
      type: "reply",
      channelId: "C1",
      messageTs: "1.1",
      note: { code: "ready" },
    });
    expect(environmentTransition(done!.env, { type: "deployed" }, NOW)).toBeUndefined();
  });

  it("fails a create AWS refused, with the reason, and never again after", () => {
    const failure = {
      code: "aws-refused" as const,
      step: "create" as const,
      awsCode: "CNAMEAlreadyExists",
      awsMessage: "CNAME taken",
    };
    const failed = environmentTransition(env(), { type: "create-failed", failure }, NOW);
    expect(failed).toMatchObject({
      env: { state: "failed", failure, finishedAt: NOW, announced: { created: true } },
      audit: [
        {
          type: "environment.failed",
          outcome: "error",
          summary: expect.stringMatching(/CNAMEAlreadyExists$/),
        },
      ],
    });
    expect(environmentTransition(failed!.env, { type: "create-started" }, NOW)).toBeUndefined();
  });

  it("tells each retrying reason once, in the thread of what is under way", () => {
    const note = { code: "retrying" as const, awsCode: "Throttling", explanation: "slow down" };
    const once = environmentTransition(env(), { type: "transient", note }, NOW);
    expect(once?.effects).toHaveLength(1);
    expect(environmentTransition(once!.env, { type: "transient", note }, NOW)).toBeUndefined();
  });

  it("deletes only a ready environment: disable, wait for the deploy, delete", () => {
    const deletion = { id: "RDEL001", requestedBy: BOB, channelId: "C2", messageTs: "2.2", requestedAt: NOW };
    expect(environmentTransition(env(), { type: "delete-requested", deletion }, NOW)).toBeUndefined();
    const asked = environmentTransition(ready(), { type: "delete-requested", deletion }, NOW)!;
    expect(asked.env).toMatchObject({ state: "disabling", deletion: { id: "RDEL001", told: [] } });
    expect(asked.audit[0]).toMatchObject({
      type: "environment.delete-requested",
      actor: BOB,
      requestId: "RDEL001",
    });
    // A second delete of the same environment finds it already going.
    expect(environmentTransition(asked.env, { type: "delete-requested", deletion }, NOW)).toBeUndefined();

    // Deployed before it is disabled means nothing: it is the disable's deploy that counts.
    expect(environmentTransition(asked.env, { type: "deployed" }, NOW)).toBeUndefined();
    const started = environmentTransition(asked.env, { type: "disable-started" }, NOW)!;
    const disabled = environmentTransition(
      started.env,
      { type: "disabled", proof: { kind: "answered" } },
      NOW,
    )!;
    expect(disabled.effects).toEqual([
      { type: "reply", channelId: "C2", messageTs: "2.2", note: { code: "disabled" } },
    ]);
    const deleting = environmentTransition(disabled.env, { type: "deployed" }, NOW + 1000)!;
    expect(deleting.env.state).toBe("deleting");
    const intent = environmentTransition(deleting.env, { type: "delete-started" }, NOW + 1000)!;
    expect(intent.env.deletion?.deleteStartedAt).toBe(NOW + 1000);
    const deleted = environmentTransition(
      intent.env,
      { type: "deleted", proof: { kind: "answered" } },
      NOW + 2000,
    )!;
    expect(deleted).toMatchObject({
      env: { state: "deleted", finishedAt: NOW + 2000, announced: { deleted: true } },
      audit: [{ type: "aws.DeleteDistribution", actor: BOB }],
    });
    expect(deleted.effects[0]).toEqual({ type: "registry-changed" });
  });

  it("puts a refused delete back to ready, telling the delete's thread why", () => {
    const deletion = { id: "RDEL001", requestedBy: BOB, channelId: "C2", messageTs: "2.2", requestedAt: NOW };
    const asked = environmentTransition(ready(), { type: "delete-requested", deletion }, NOW)!;
    const failure = { code: "aws-refused" as const, step: "disable" as const, awsCode: "AccessDenied" };
    const refused = environmentTransition(asked.env, { type: "delete-refused", failure }, NOW)!;
    expect(refused.env).toMatchObject({ state: "ready", failure });
    expect(refused.env.deletion).toBeUndefined();
    expect(refused.effects[0]).toEqual({
      type: "reply",
      channelId: "C2",
      messageTs: "2.2",
      note: { code: "delete-refused", failure },
    });
    // And it may be asked for again.
    expect(environmentTransition(refused.env, { type: "delete-requested", deletion }, NOW)?.env.state).toBe(
      "disabling",
    );
  });
});
