// The benchmark table in docs, made from one run's results: what the document shows is what the
// bench measured, never figures typed by hand.
import type { measureAccessLogReading } from "./access-log-reading.js";
import type { measureBurst, measureDrainMemory } from "./burst-measurements.js";
import type { measureBurstBilling, measureCallsPerInvalidation } from "./engine-simulations.js";
import type { measureHistory } from "./history-scenario.js";
import type { measurePacing } from "./pacing.js";
import type {
  measureAckLatency,
  measureCompiledStartup,
  measureStartupAndMemory,
} from "./process-measurements.js";
import type { measureReplicas } from "./replica-measurements.js";
import type { measureStagedPullBack } from "./staged-pullback.js";
import type { measureDeployLag, measureInvalidationLag } from "./status-lag.js";

export type Measured = {
  ackLatency?: Awaited<ReturnType<typeof measureAckLatency>>;
  ackLatencyDynamoDb?: Awaited<ReturnType<typeof measureAckLatency>>;
  burst?: Awaited<ReturnType<typeof measureBurst>>;
  drainMemory?: Awaited<ReturnType<typeof measureDrainMemory>>;
  awsCallsPerInvalidation?: Awaited<ReturnType<typeof measureCallsPerInvalidation>>;
  completionLag?: Awaited<ReturnType<typeof measureInvalidationLag>>;
  pacing?: Awaited<ReturnType<typeof measurePacing>>;
  deployLag?: ReturnType<typeof measureDeployLag>;
  stagedPullBack?: Awaited<ReturnType<typeof measureStagedPullBack>>;
  accessLogReading?: Awaited<ReturnType<typeof measureAccessLogReading>>;
  pathsBilled?: Awaited<ReturnType<typeof measureBurstBilling>>;
  startupAndMemory?: Awaited<ReturnType<typeof measureStartupAndMemory>>;
  history?: Awaited<ReturnType<typeof measureHistory>>;
  compiled?: Awaited<ReturnType<typeof measureCompiledStartup>>;
  replicas?: Awaited<ReturnType<typeof measureReplicas>>;
};

type Row = [figure: string, cdnbot: string, baseline: string, ratio: string, goal: string];

const ms = (x: number) => `${Math.round(x)} ms`;
const s = (x: number) => `${x} s`;
const mb = (x: number) => `${Math.round(x)} MB`;
const r = (x: number) => x.toFixed(2);

/** One row per figure measured, in the order the bench runs them. */
export function benchRows(m: Measured): Row[] {
  const rows: Row[] = [];
  const a = m.ackLatency;
  if (a)
    rows.push([
      `Ack latency of ${a.requests.toLocaleString("en-US")} signed \`/cdn purge\` requests from ${a.concurrentSenders} concurrent senders over HTTP, p50 / p99`,
      `${ms(a.cdnbot.p50Ms)} / ${ms(a.cdnbot.p99Ms)}`,
      `a bare Bolt app that only acks: ${ms(a.bareBolt.p50Ms)} / ${ms(a.bareBolt.p99Ms)}`,
      `${r(a.ratioP50)} / ${r(a.ratioP99)}`,
      "p99 ≤ 1.20",
    ]);
  const ad = m.ackLatencyDynamoDb;
  if (ad)
    rows.push([
      "The same, with the state in DynamoDB (moto's, in Python on the same two cores): p50 / p99",
      `${ms(ad.cdnbot.p50Ms)} / ${ms(ad.cdnbot.p99Ms)}`,
      `a bare Bolt app that only acks: ${ms(ad.bareBolt.p50Ms)} / ${ms(ad.bareBolt.p99Ms)}`,
      `${r(ad.ratioP50)} / ${r(ad.ratioP99)}`,
      "< 3 s",
    ]);
  const b = m.burst;
  if (b)
    rows.push(
      [
        `${b.purges} \`/cdn purge\` at the same instant on one distribution: invalidations made / requesters told exactly once`,
        `${b.invalidations} / ${b.toldExactlyOnce}`,
        `the floor: ${b.floor} invalidation / ${b.purges}`,
        `${r(b.ratioToFloor)} / ${r(b.toldExactlyOnce / b.purges)}`,
        "1 / 1",
      ],
      [
        "The same burst: ack p99",
        ms(b.ackP99Ms.cdnbot),
        `a bare Bolt app under the same burst: ${ms(b.ackP99Ms.bareBolt)}`,
        r(b.ratioAckP99),
        "≤ 1.20",
      ],
    );
  const d = m.drainMemory;
  if (d) {
    const last = d.rounds.at(-1)!;
    rows.push(
      [
        `Heap the bot keeps (after a full collection) once each of ${d.rounds.length} queues of ${d.purges} purges over ${d.distributions} distributions drained, paced at 0.5 CreateInvalidation/s; then a minute later`,
        `${d.rounds.map((x) => Math.round(x.drainedKeptHeapMb)).join(", ")}; ${mb(d.archivedKeptHeapMb)}`,
        `the same bot at idle before them: ${mb(d.idleKeptHeapMb)}`,
        `${r(Math.max(...d.rounds.map((x) => x.drainedKeptHeapMb)) / d.idleKeptHeapMb)}; ${r(d.archivedKeptHeapMb / d.idleKeptHeapMb)}`,
        "flat",
      ],
      [
        "The same queues: RSS after the first / after the last",
        `${mb(d.rounds[0]!.drainedRssMb)} / ${mb(last.drainedRssMb)}`,
        `at idle before them: ${mb(d.idleRssMb)}`,
        `${r(d.ratioFirstDrainedToIdle)} / ${r(last.drainedRssMb / d.idleRssMb)}`,
        "",
      ],
    );
  }
  const c = m.awsCallsPerInvalidation;
  if (c)
    rows.push([
      `AWS calls per completed invalidation, ${c.purges} purges over ${c.distributions} distributions, ${c.pollMs / 1000} s polls`,
      String(c.cdnbot.callsPerInvalidation),
      `one \`GetInvalidation\` per invalidation per poll: ${c.naive.callsPerInvalidation}`,
      r(c.ratio),
      "",
    ]);
  const l = m.completionLag;
  if (l)
    rows.push(
      [
        `CloudFront's Completed to the thread, ${l.invalidations} invalidations of 1–15 min: median / max`,
        `${s(l.cdnbot.medianSeconds)} / ${s(l.cdnbot.maxSeconds)}`,
        `the AWS CLI waiter (20 s): ${s(l.awsCliWaiter20s.medianSeconds)} / ${s(l.awsCliWaiter20s.maxSeconds)}; hubot-cloudfront (60 s): ${s(l.hubotCloudfront60s.medianSeconds)} / ${s(l.hubotCloudfront60s.maxSeconds)}`,
        `${r(l.cdnbot.medianSeconds / l.awsCliWaiter20s.medianSeconds)} / ${r(l.cdnbot.maxSeconds / l.awsCliWaiter20s.maxSeconds)}`,
        "≤ 6 s / ≤ 12 s",
      ],
      [
        "The same invalidations: status calls, and the closest two of one distribution",
        `${l.statusCalls.withHistory}, ${s(l.closestStatusCallsOfOneDistributionSeconds)} apart`,
        `one call per distribution every 10 s throughout: ${l.statusCalls.denseThroughout}`,
        r(l.callsRatioToDense),
        "< 1, ≥ 10 s apart",
      ],
    );
  const dl = m.deployLag;
  if (dl)
    rows.push([
      `Deployed to the thread, ${dl.deploys} changes deploying 5–20 min: median / max (status calls)`,
      `${s(dl.cdnbot.medianSeconds)} / ${s(dl.cdnbot.maxSeconds)} (${dl.statusCalls.withHistory})`,
      `the AWS CLI waiter: ${s(dl.awsCliWaiter20s.medianSeconds)} / ${s(dl.awsCliWaiter20s.maxSeconds)} (calls every 10 s: ${dl.statusCalls.denseThroughout})`,
      `${r(dl.cdnbot.medianSeconds / dl.awsCliWaiter20s.medianSeconds)} / ${r(dl.cdnbot.maxSeconds / dl.awsCliWaiter20s.maxSeconds)} (${r(dl.callsRatioToDense)})`,
      "≤ 6 s / ≤ 12 s",
    ]);
  const sp = m.stagedPullBack;
  if (sp)
    rows.push([
      `A staged change's copy breaching (12% 5xx, ${sp.runs} runs): from CloudWatch publishing the first bad minute to all traffic back on the primary, in one-minute metric periods, median / max`,
      `${sp.cdnbot.medianPeriods} / ${sp.cdnbot.maxPeriods}`,
      `a watch's alert on the same series (3 datapoints past 5%, read each minute), which only tells a person: ${sp.watchAlert.medianPeriods} / ${sp.watchAlert.maxPeriods}`,
      r(sp.ratioMax),
      "≤ 2 periods",
    ]);
  const al = m.accessLogReading;
  if (al)
    rows.push(
      [
        `Summing up ${al.gzippedMb.toLocaleString("en-US")} MB of gzipped access logs (${al.files} files, ${al.lines.toLocaleString("en-US")} lines), as \`/cdn logs\` reads them: lines per second`,
        `${al.cdnbot.linesPerSecond.toLocaleString("en-US")} (${s(al.cdnbot.seconds)})`,
        `\`zcat \\| wc -l\` on the same files: ${al.zcat.linesPerSecond.toLocaleString("en-US")} (${s(al.zcat.seconds)})`,
        r(al.speedRatio),
        "≥ 0.33",
      ],
      [
        "The same: peak memory (RSS) of the process",
        mb(al.cdnbot.maxRssMb),
        `a Node process that only gunzips them: ${mb(al.gunzipOnly.maxRssMb)}`,
        r(al.memoryRatio),
        "≤ 2, flat in the size read",
      ],
    );
  const p = m.pacing;
  if (p) {
    const { paced, unpaced } = p.twentyDistributionsAtOnce;
    const many = p.fiveHundredPurgesOverTenDistributions;
    rows.push(
      [
        `20 distributions purged at once, AWS throttling CreateInvalidation at ${p.awsLimit}: calls throttled / all sent after`,
        `${paced.refusedByThrottling} of ${paced.createInvalidationAttempts} / ${s(paced.allSentAfterSeconds)}`,
        `the same engine without pacing: ${unpaced.refusedByThrottling} of ${unpaced.createInvalidationAttempts} / ${s(unpaced.allSentAfterSeconds)}`,
        `${r(paced.refusedByThrottling / Math.max(1, unpaced.refusedByThrottling))} / ${r(paced.allSentAfterSeconds / unpaced.allSentAfterSeconds)}`,
        "",
      ],
      [
        "500 purges at once over 10 distributions: invalidations made",
        String(many.paced.invalidations),
        `the floor: ${many.floor}`,
        r(many.paced.invalidations / many.floor),
        "1",
      ],
    );
  }
  const pb = m.pathsBilled;
  if (pb)
    rows.push([
      `Invalidation paths billed for a replayed burst (${pb.requests} purges, ${pb.requesters} requesters, overlapping paths and wildcards)`,
      String(pb.withCoalescing.pathsBilled),
      `the same purges without coalescing: ${pb.withoutCoalescing.pathsBilled}`,
      r(pb.ratio),
      "",
    ]);
  const st = m.startupAndMemory;
  if (st)
    rows.push([
      `Startup time / peak RSS of the bot with ${st.inFlightOperations.toLocaleString("en-US")} purges in flight in the store`,
      `${s(Number((st.withInFlight.startupMs / 1000).toFixed(2)))} / ${mb(st.withInFlight.peakRssMb)}`,
      `the same bot with an empty store: ${s(Number((st.emptyStore.startupMs / 1000).toFixed(2)))} / ${mb(st.emptyStore.peakRssMb)}`,
      `${r(st.ratioStartup)} / ${r(st.ratioPeakRss)}`,
      "",
    ]);
  const co = m.compiled;
  if (co)
    rows.push([
      "The compiled build (`npm start`): start-up to listening / RSS at idle",
      `${ms(co.cdnbot.startupMs)} / ${mb(co.cdnbot.idleRssMb)}`,
      `a bare Bolt app compiled and started the same way: ${ms(co.bareBolt.startupMs)} / ${mb(co.bareBolt.idleRssMb)}`,
      `${r(co.ratioStartup)} / ${r(co.cdnbot.idleRssMb / co.bareBolt.idleRssMb)}`,
      "≤ 1.20 / < 100 MB",
    ]);
  const h = m.history;
  if (h)
    rows.push([
      `A year of history (${h.finishedPurges.toLocaleString("en-US")} finished purges) against an empty install: start-up / ack p99 / purge to Completed / peak RSS`,
      `${s(Number((h.yearOfHistory.startupMs / 1000).toFixed(2)))} / ${ms(h.yearOfHistory.ackP99Ms)} / ${s(h.yearOfHistory.purgeToCompletionS)} / ${mb(h.yearOfHistory.peakRssMb)}`,
      `an empty install: ${s(Number((h.emptyInstall.startupMs / 1000).toFixed(2)))} / ${ms(h.emptyInstall.ackP99Ms)} / ${s(h.emptyInstall.purgeToCompletionS)} / ${mb(h.emptyInstall.peakRssMb)}`,
      `${r(h.ratios.startup)} / ${r(h.ratios.ackP99)} / ${r(h.ratios.purgeToCompletion)} / ${r(h.ratios.peakRss)}`,
      "",
    ]);
  const rp = m.replicas;
  if (rp)
    rows.push(
      [
        `Two replicas on one DynamoDB table: AWS calls per completed invalidation (${rp.purges} purges, ${rp.distributions} distributions)`,
        String(rp.twoReplicas.perInvalidation),
        `one replica on the same table, the same purges: ${rp.oneReplica.perInvalidation}`,
        r(rp.ratio),
        "",
      ],
      [
        "A replica killed with `kill -9`: until the other polls its distributions",
        s(rp.takeover.seconds),
        `the lease period: ${s(rp.takeover.leasePeriodSeconds)}`,
        r(rp.takeover.ratioToLeasePeriod),
        "",
      ],
    );
  return rows;
}

/** The rows as a Markdown table, columns padded so the source reads as a table too. */
export function benchTable(m: Measured): string {
  const rows: Row[] = [["Figure", "cdnbot", "Baseline", "Ratio", "Goal"], ...benchRows(m)];
  const widths = rows[0]!.map((_, i) => Math.max(3, ...rows.map((row) => row[i]!.length)));
  const line = (row: readonly string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(rows[0]!), line(widths.map((w) => "-".repeat(w))), ...rows.slice(1).map(line)].join("\n");
}
