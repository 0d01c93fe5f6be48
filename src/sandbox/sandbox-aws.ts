import type { AccessLogGateway } from "../aws/access-log-calls.js";
import { createAwsGateways } from "../aws/aws-gateways.js";
import type { CloudFrontGateway } from "../aws/cloudfront-gateway.js";
import type { CloudWatchGateway } from "../aws/cloudwatch-gateway.js";
import { DISTRIBUTION_METRICS } from "../aws/cloudwatch-metrics.js";
import { createSandboxSeeding } from "../aws/sandbox-seeding.js";
import { UserError } from "../errors.js";
import { DEMO_DISTRIBUTIONS, DEMO_KEY_VALUE_STORES, type DemoKeyValueStore } from "./demo-distributions.js";
import { type MotoServer, startMotoServer } from "./moto-server.js";
import type { Trouble } from "./sandbox-page.js";
import { SimulatedAccessLogs } from "./simulated-access-logs.js";
import { DEFAULT_TIMING, SimulatedCloudFront } from "./simulated-cloudfront.js";
import { SimulatedCloudWatch } from "./simulated-cloudwatch.js";
import { loadSimulation, saveSimulation } from "./simulation-file.js";

const MINUTE = 60_000;
/** A spike starts this long before the click: enough datapoints for the bot's next read to alert. */
const SPIKE_BACKDATE_MS = 8 * MINUTE;

/** The AWS the sandbox's bot talks to, the demo distributions' ids in it, and the panel's trouble. */
export type SandboxAws = {
  kind: "simulated" | "moto";
  cloudfront: CloudFrontGateway;
  cloudwatch: CloudWatchGateway;
  /** The demo distributions' access logs (simulated: a logging v2 delivery each, to SANDBOX_LOG_BUCKET). */
  accessLogs: AccessLogGateway;
  /** Distribution id by alias. */
  ids: Map<string, string>;
  /** The key-value stores it serves (moto serves none). */
  keyValueStores: DemoKeyValueStore[];
  trouble: Trouble;
  stop(): Promise<void>;
};

/** The panel's trouble: what names a distribution is refused, here once, when the alias is unknown. */
function troubleOn(
  ids: ReadonlyMap<string, string>,
  act: (kind: string, alias: string, id: string, now: number) => string,
): Trouble {
  return (kind, alias) => {
    const id = ids.get(alias);
    if (["spike", "recover", "edit"].includes(kind) && !id) return `There is no distribution ${alias}.`;
    return act(kind, alias, id ?? "", Date.now());
  };
}

/** The demo distributions' traffic by id (and, in the simulation, a staging copy's share of it). */
const traffic = (ids: Map<string, string>, isStagingCopy: (id: string) => boolean = () => false) => {
  const peaks = new Map(DEMO_DISTRIBUTIONS.map((d) => [ids.get(d.alias) ?? d.id, d.peakRequestsPerMinute]));
  return (id: string) => peaks.get(id) ?? (isStagingCopy(id) ? STAGING_PEAK : undefined);
};
/** What a staging copy serves at the daily peak: a share of its primary's. */
const STAGING_PEAK = 150;

/**
 * CloudFront and CloudWatch simulated in memory, as AWS documents them. With `keepIn`, CloudFront's
 * side (ETags, invalidations, configs) is kept there between runs, beside the bot's own state.
 */
export function simulatedAws(speed: number, keepIn?: string): SandboxAws {
  const ids = new Map(DEMO_DISTRIBUTIONS.map((d) => [d.alias, d.id]));
  const cloudfront = new SimulatedCloudFront(
    DEMO_DISTRIBUTIONS.map((d) => ({ id: d.id, config: d.config })),
    Date.now,
    { ...DEFAULT_TIMING, speed },
  );
  for (const d of DEMO_DISTRIBUTIONS)
    for (const tenant of d.tenants ?? [])
      cloudfront.tenants.add({ ...tenant, distributionId: d.id, enabled: true });
  for (const store of DEMO_KEY_VALUE_STORES) cloudfront.keyValueStores.add(store.arn, store.items);
  if (keepIn) {
    const kept = loadSimulation(keepIn);
    if (kept) cloudfront.restore(kept);
    cloudfront.onChange = () => saveSimulation(keepIn, cloudfront.snapshot());
  }
  const cloudwatch = new SimulatedCloudWatch(traffic(ids, (id) => cloudfront.isStagingCopy(id)));
  const spikes = new Map<string, number>();
  const trouble = troubleOn(ids, (kind, alias, id, now) => {
    switch (kind) {
      case "spike": {
        // With a staged change serving, the change is what breaks: its staging copy answers errors.
        const staging = cloudfront.servingStagingOf(id);
        const target = staging ?? id;
        spikes.set(target, now - SPIKE_BACKDATE_MS);
        cloudwatch.spike(target, { metric: "5xxErrorRate", value: 12, from: now - SPIKE_BACKDATE_MS });
        return staging
          ? `${alias}'s staging copy (its staged change) has been answering 12% 5xx errors for 8 minutes; ${alias} itself is fine.`
          : `${alias} has been answering 12% 5xx errors for 8 minutes.`;
      }
      case "recover": {
        const staging = [...spikes.keys()].find((k) => cloudfront.isStagingCopy(k));
        const target = spikes.has(id) ? id : staging;
        const since = target === undefined ? undefined : spikes.get(target);
        if (target === undefined || since === undefined) return `${alias} has no errors to recover from.`;
        spikes.delete(target);
        // Likewise backdated, so the next read sees enough calm datapoints to call it recovered.
        cloudwatch.recover(target, Math.max(since + 2 * MINUTE, now - 5 * MINUTE));
        return `${alias}'s errors stopped a few minutes ago.`;
      }
      case "edit": {
        // What a colleague in the console would touch: the default behaviour's TTL.
        let ttl: number | undefined;
        cloudfront.editElsewhere(id, (c) => {
          const behavior = c.DefaultCacheBehavior;
          if (behavior && behavior.DefaultTTL !== undefined) {
            ttl = behavior.DefaultTTL + 300;
            behavior.DefaultTTL = ttl;
            behavior.MaxTTL = Math.max(behavior.MaxTTL ?? 0, ttl);
          }
          c.Comment = `${c.Comment ?? ""} (edited in the console)`.trim();
        });
        return `Someone edited ${alias} in the console${ttl === undefined ? "" : ` (default TTL now ${ttl} s)`}: it has a new ETag and is deploying.`;
      }
      case "slow":
        cloudfront.trouble.latencyMs = 4_000;
        return "CloudFront now takes 4 s to answer each call.";
      case "throttle":
        cloudfront.trouble.throttling = true;
        return "CloudFront now refuses every call with Throttling.";
      case "calm":
        cloudfront.trouble.latencyMs = 0;
        cloudfront.trouble.throttling = false;
        return "CloudFront answers normally again.";
      default:
        return `I don't know the trouble ${kind}.`;
    }
  });
  return {
    kind: "simulated",
    cloudfront,
    cloudwatch,
    accessLogs: new SimulatedAccessLogs(traffic(ids)),
    ids,
    keyValueStores: DEMO_KEY_VALUE_STORES,
    trouble,
    stop: async () => {},
  };
}

async function startMotoOnThisMachine(): Promise<MotoServer> {
  try {
    return await startMotoServer({ command: "moto_server", args: [] });
  } catch {
    try {
      return await startMotoServer({ command: "python3", args: ["-m", "moto.server"] });
    } catch {
      throw new UserError(
        "--moto needs moto_server on the PATH (pip install 'moto[server]'); without --moto the sandbox simulates AWS itself.",
      );
    }
  }
}

/**
 * moto_server instead of the simulation, through the bot's real AWS gateways (the SDK over HTTP).
 * moto is lenient where AWS is strict: invalidations complete at once and ETags never change.
 */
export async function motoAws(): Promise<SandboxAws> {
  const moto = await startMotoOnThisMachine();
  // The SDK's own variables: every client the bot builds in this process goes to moto.
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_CLOUDFRONT: moto.url,
    AWS_ENDPOINT_URL_CLOUDWATCH: moto.url,
    AWS_ENDPOINT_URL_STS: moto.url,
    AWS_ENDPOINT_URL_S3: moto.url,
    AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: moto.url,
    AWS_ACCESS_KEY_ID: "sandbox",
    AWS_SECRET_ACCESS_KEY: "sandbox",
    AWS_EC2_METADATA_DISABLED: "true",
  });
  const timeouts = { requestMs: 10_000 };
  const seeding = createSandboxSeeding(timeouts);
  const ids = new Map<string, string>();
  // moto serves no multi-tenant distribution: those are the built-in simulation's only.
  for (const d of DEMO_DISTRIBUTIONS.filter((d) => !d.tenants))
    ids.set(
      d.alias,
      await seeding.createDistribution({ ...d.config, CallerReference: `sandbox-${d.alias}-${Date.now()}` }),
    );
  const metrics = new SimulatedCloudWatch(traffic(ids));
  const minuteOf = (at: number) => Math.floor(at / MINUTE) * MINUTE;
  const write = (id: string, from: number, to: number) => {
    const points = [];
    for (let at = minuteOf(from); at < to; at += MINUTE)
      for (const metric of DISTRIBUTION_METRICS)
        points.push({ metric, at, value: metrics.valueAt(id, metric, at) });
    return seeding.putMetrics(id, points);
  };
  // Six hours of history (enough for `/cdn stats` over 3h against the 3h before), then a minute at a time.
  const started = Date.now();
  await Promise.all([...ids.values()].map((id) => write(id, started - 6 * 60 * MINUTE, minuteOf(started))));
  let written = minuteOf(started);
  const timer = setInterval(() => {
    const upTo = minuteOf(Date.now());
    if (upTo <= written) return;
    const from = written;
    written = upTo;
    for (const id of ids.values()) void write(id, from, upTo).catch(() => undefined);
  }, 5_000);
  timer.unref();

  const { cloudfront, cloudwatch, accessLogs } = createAwsGateways(timeouts, undefined, undefined, true);
  const trouble = troubleOn(ids, (kind, alias, id, now) => {
    switch (kind) {
      case "spike":
        metrics.spike(id, { metric: "5xxErrorRate", value: 12, from: now - SPIKE_BACKDATE_MS });
        void write(id, now - SPIKE_BACKDATE_MS, minuteOf(now)).catch(() => undefined);
        return `${alias} has been answering 12% 5xx errors for 8 minutes.`;
      case "recover":
        // moto keeps what was written: the calm shows minute by minute from now on.
        metrics.recover(id, now);
        return `${alias}'s errors stopped; with moto the bot sees it recover after a few real minutes.`;
      case "edit":
        void cloudfront
          .getDistributionConfig(id)
          .then(({ config, etag }) =>
            cloudfront.updateDistribution(
              id,
              { ...config, Comment: `${config.Comment ?? ""} (edited)`.trim() },
              etag,
            ),
          )
          .catch(() => undefined);
        return `Edited ${alias} in moto; moto never changes ETags, so only the built-in simulation shows the ETag safety.`;
      case "slow":
      case "throttle":
      case "calm":
        return "moto always answers at once: only the built-in simulation (without --moto) can be slow or throttle.";
      default:
        return `I don't know the trouble ${kind}.`;
    }
  });
  return {
    kind: "moto",
    keyValueStores: [],
    cloudfront,
    cloudwatch,
    accessLogs,
    ids,
    trouble,
    async stop() {
      clearInterval(timer);
      await moto.stop();
    },
  };
}
