import type { BotProcess } from "../test/support/bot-process.js";
import { startBot } from "../test/support/bot-process.js";
import type { FakeSlack } from "../test/support/fake-slack.js";
import { postSlashCommand } from "../test/support/slack-signer.js";
import type { StrictCloudFront } from "../test/support/strict-cloudfront.js";
import { round } from "./engine-simulations.js";
import { SECRET } from "./process-measurements.js";

/** The CloudFront calls a bot makes to send and follow purges (its health check left out). */
const PURGE_CALLS = new Set(["CreateInvalidation", "ListInvalidations", "GetInvalidation"]);
const PURGES = 24;
const LEASE_MS = 30_000; // tracking/work-leases.ts: WORK_LEASE_MS

type Deps = {
  env: Record<string, string>;
  fake: FakeSlack;
  strict: StrictCloudFront;
  distributions: { alias: string; id: string }[];
};

const configOn = (deps: Deps, table: string) =>
  `distributions:\n${deps.distributions.map((d) => `  ${d.alias}:\n    id: ${d.id}\n`).join("")}store:\n  dynamodb:\n    table: ${table}\n`;

function startReplica(deps: Deps, table: string, name: string): Promise<BotProcess> {
  return startBot({
    env: {
      ...deps.env,
      AWS_SDK_UA_APP_ID: name,
      // Polls as a production bot might space them (the test bed's 200 ms would drown the figure).
      CDNBOT_POLL_MS: "1000",
      CDNBOT_HEALTH_CHECK_MS: "3600000",
    },
    config: configOn(deps, table),
  });
}

/** Sends the purges, spread over the replicas in turn, and waits until each thread says Completed. */
async function purgeThrough(deps: Deps, replicas: BotProcess[], run: string): Promise<void> {
  const channels: string[] = [];
  for (let i = 0; i < PURGES; i++) {
    const d = deps.distributions[i % deps.distributions.length]!;
    const channel = `C${run}${i}`;
    channels.push(channel);
    const res = await postSlashCommand(replicas[i % replicas.length]!.url, SECRET, {
      text: `purge ${d.alias} /bench/${run}/${i}.html`,
      userId: "UBENCH",
      channelId: channel,
      responseUrl: deps.fake.responseUrl(),
    });
    if (res.status !== 200) throw new Error(`purge ${i} answered ${res.status}`);
    // A purge every 300 ms: some land in one coalescing window, most do not.
    await new Promise((r) => setTimeout(r, 300));
  }
  await deps.fake.waitFor(
    (calls) =>
      channels.every((c) =>
        calls.some((x) => x.body.channel === c && /Completed in \d+s/.test(String(x.body.text))),
      ) || undefined,
    { timeoutMs: 120_000, description: `${run}: every purge Completed` },
  );
}

/** AWS calls per completed invalidation made by these replicas (by their user-agent app id). */
function callsPerInvalidation(strict: StrictCloudFront, agents: string[]) {
  const calls = strict.requests.filter(
    (r) => r.agent && agents.includes(r.agent) && PURGE_CALLS.has(r.operation),
  );
  const invalidations = calls.filter((r) => r.operation === "CreateInvalidation").length;
  return { calls: calls.length, invalidations, perInvalidation: round(calls.length / invalidations, 2) };
}

/**
 * Several replicas on one DynamoDB table (moto), against one: AWS calls per completed invalidation
 * for the same purges, and how long after a replica's death (SIGKILL) the other takes over its
 * distributions, against the lease period that bounds it.
 */
export async function measureReplicas(deps: Deps) {
  // One replica.
  const solo = await startReplica(deps, "bench-one", "solo");
  let one: ReturnType<typeof callsPerInvalidation>;
  try {
    await purgeThrough(deps, [solo], "one");
    one = callsPerInvalidation(deps.strict, ["solo"]);
  } finally {
    await solo.stop();
  }

  // Two replicas, the purges arriving on each in turn.
  const a = await startReplica(deps, "bench-two", "a");
  const b = await startReplica(deps, "bench-two", "b");
  try {
    await purgeThrough(deps, [a, b], "two");
    const two = callsPerInvalidation(deps.strict, ["a", "b"]);

    // Takeover: invalidations held in progress, the replica polling most of them is killed.
    deps.strict.holdInvalidations(true);
    const since = Date.now();
    const channels = deps.distributions.map((d, i) => ({ d, channel: `CTAKE${i}` }));
    for (const { d, channel } of channels)
      await postSlashCommand(a.url, SECRET, {
        text: `purge ${d.alias} /bench/takeover.html`,
        userId: "UBENCH",
        channelId: channel,
        responseUrl: deps.fake.responseUrl(),
      });
    const pollersOf = () => {
      const by = new Map<string, string>();
      for (const r of deps.strict.requests)
        if (r.at >= since && r.operation === "ListInvalidations" && r.distributionId && r.agent)
          by.set(r.distributionId, r.agent);
      return by;
    };
    await deps.fake.waitFor(() => pollersOf().size === deps.distributions.length || undefined, {
      timeoutMs: 30_000,
      description: "every distribution polled",
    });
    const pollers = pollersOf();
    const victim = [...pollers.values()].filter((x) => x === "a").length * 2 >= pollers.size ? a : b;
    const victimName = victim === a ? "a" : "b";
    const survivor = victim === a ? "b" : "a";
    const orphaned = [...pollers].filter(([, agent]) => agent === victimName).map(([id]) => id);
    await victim.kill();
    const killedAt = Date.now();
    const takenAt = await deps.fake.waitFor(
      () => {
        const firsts = orphaned.map(
          (id) =>
            deps.strict.requests.find(
              (r) =>
                r.at >= killedAt &&
                r.agent === survivor &&
                r.distributionId === id &&
                r.operation === "ListInvalidations",
            )?.at,
        );
        return firsts.every((t) => t !== undefined) ? Math.max(...(firsts as number[])) : undefined;
      },
      { timeoutMs: LEASE_MS * 3, description: "the survivor polling the dead replica's distributions" },
    );
    deps.strict.holdInvalidations(false);
    await deps.fake.waitFor(
      (calls) =>
        channels.every(({ channel }) =>
          calls.some((x) => x.body.channel === channel && /Completed in \d+s/.test(String(x.body.text))),
        ) || undefined,
      { timeoutMs: 60_000, description: "the held purges Completed after the takeover" },
    );
    const takeoverSeconds = round((takenAt - killedAt) / 1000, 1);
    return {
      purges: PURGES,
      distributions: deps.distributions.length,
      oneReplica: one,
      twoReplicas: two,
      ratio: round(two.perInvalidation / one.perInvalidation, 2),
      takeover: {
        distributionsTakenOver: orphaned.length,
        seconds: takeoverSeconds,
        leasePeriodSeconds: LEASE_MS / 1000,
        ratioToLeasePeriod: round((takenAt - killedAt) / LEASE_MS, 2),
      },
    };
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
}
