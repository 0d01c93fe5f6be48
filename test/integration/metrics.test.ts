import type { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { loadImage } from "@napi-rs/canvas";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { putDistributionMetric, testBedCloudWatch } from "../support/cloudwatch-data.js";
import { text } from "../support/slack-text.js";
import { startTestBed, type TestBed } from "../support/test-bed.js";

let bed: TestBed;
type Chart = {
  series: { name: string; data: { label: string; value: number }[] }[];
  axis_config: { categories: string[]; y_label?: string };
};
let cloudwatch: CloudWatchClient;

beforeAll(async () => {
  bed = await startTestBed({
    strict: { invalidationCompletesAfterMs: 300 },
    otherDistributions: ["idle"],
    extraConfig: (_w, o) =>
      [
        `  idle:`,
        `    id: ${o.idle!.id}`,
        // In the config, but not in the AWS account: a mistyped id.
        `  ghost:`,
        `    id: EGHOST000000`,
        "purge:",
        "  coalesceWindow: 0s",
        "alerts:",
        "  checkEvery: 300ms",
        "  minDatapoints: 3",
        "",
      ].join("\n"),
  });
  cloudwatch = testBedCloudWatch(bed.strict.url);
});
afterAll(async () => {
  cloudwatch?.destroy();
  await bed?.close();
});
beforeEach(() => {
  bed.fake.reset();
});

/** A metric's datapoints, each so many minutes ago. */
const put = (
  distributionId: string,
  metric: string,
  points: [minutesAgo: number, value: number][],
  unit = "None",
) =>
  putDistributionMetric(
    cloudwatch,
    distributionId,
    metric,
    points.map(([ago, value]) => [Date.now() - ago * 60_000, value]),
    unit,
  );

const postsIn = (channel: string) =>
  bed.fake.callsTo("chat.postMessage").filter((c) => c.body.channel === channel);

describe("/cdn stats", () => {
  it("posts values, changes and sparklines, and uploads a chart into the thread", async () => {
    // The previous hour: 300 requests; this hour: 450, rising.
    await put(bed.web.id, "Requests", [
      [110, 100],
      [90, 100],
      [70, 100],
      [50, 100],
      [30, 150],
      [10, 200],
    ]);
    await put(bed.web.id, "BytesDownloaded", [[20, 5 * 1024 * 1024]], "Bytes");
    await put(bed.web.id, "TotalErrorRate", [
      [80, 1],
      [20, 2],
    ]);

    await bed.command("stats web 1h", { channelId: "CSTATS" });

    const posted = await bed.fake.waitForCall(
      "chat.postMessage",
      (b) => b.channel === "CSTATS" && /CloudFront metrics/.test(String(b.text)),
    );
    expect(text(posted)).toMatch(/Requests: 450 \(\+50% vs the previous 1h\) [▁▂▃▄▅▆▇█]+/);
    expect(text(posted)).toMatch(/Bytes downloaded: 5\.0 MB/);
    expect(text(posted)).toMatch(/Total error rate: 2\.00% \(\+100% vs the previous 1h\)/);
    expect(text(posted)).toMatch(/5xx error rate: no data/);
    expect(text(posted)).toMatch(/does not have CloudFront's additional metrics enabled/);
    // Natively, two line charts Slack takes (the fake refuses what its limits would): requests
    // summed into 3-minute buckets, 450 in all, and the error rates.
    const charts = (posted.body.blocks as { type: string; title?: string; chart?: Chart }[]).filter(
      (b) => b.type === "data_visualization",
    );
    expect(posted.response?.ok).toBe(true);
    expect(charts.map((c) => c.title)).toEqual(["Requests, web, last 1h", "Error rates, web, last 1h"]);
    const requests = charts[0]!.chart!.series[0]!;
    expect(requests.data).toHaveLength(20);
    expect(requests.data.reduce((n, p) => n + p.value, 0)).toBe(450);
    expect(charts[0]!.chart!.axis_config.y_label).toBe("Requests per 3 min");

    const complete = await bed.fake.waitForCall("files.completeUploadExternal", () => true, 15_000);
    expect(complete.body.thread_ts).toBe(posted.response?.ts);
    expect(complete.body.channel_id).toBe("CSTATS");
    const [upload] = bed.fake.callsTo("file_upload");
    const png = bed.fake.uploadedFiles.get(String(upload?.body.file_id))!;
    const image = await loadImage(png);
    expect([image.width, image.height]).toEqual([1000, 720]);
  });

  it("explains no data instead of showing zeros", async () => {
    const res = await bed.command("stats idle 24h", { channelId: "CSTATS" });
    const posted = await bed.fake.waitForCall("chat.postMessage", (b) =>
      /CloudFront metrics/.test(String(b.text)),
    );
    expect(text(posted)).toMatch(/last 24h: no data\. CloudWatch has no datapoints .* new, idle/);
    await res.done();
    expect(bed.fake.callsTo("files.completeUploadExternal")).toHaveLength(0);
  });

  it("says a configured id CloudFront does not have is wrong, rather than calling it idle", async () => {
    const res = await bed.command("stats ghost 24h", { channelId: "CSTATS" });
    const reply = await bed.fake.waitForReply(res.responseUrl);
    expect(text(reply)).toBe(
      "CloudWatch has no data for ghost because CloudFront has no distribution EGHOST000000 in the bot's AWS account: check its id in the config file. Nothing was posted.",
    );
    expect(postsIn("CSTATS")).toHaveLength(0);
  });

  it("names the channel it cannot post in, without talking of purges or AWS", async () => {
    bed.fake.setNotInChannel("CNOTIN");
    const res = await bed.command("stats web 1h", { channelId: "CNOTIN" });
    const reply = await bed.fake.waitForReply(res.responseUrl);
    expect(text(reply)).toBe(
      "I'm not a member of <#CNOTIN>, so I cannot post there. Invite me with `/invite @cdnbot` in <#CNOTIN> and try again.",
    );
  });

  it("refuses an unknown window, privately", async () => {
    const res = await bed.command("stats web 5y");
    const reply = await bed.fake.waitForCall("response_url", () => true);
    expect(res.status).toBe(200);
    expect(text(reply)).toMatch(/`5y` is not a window I know\. Use one of `1h`/);
  });
});

describe("an incident channel", () => {
  it("names the channel the watch was for when the bot is not in it, and sets nothing up", async () => {
    bed.fake.setNotInChannel("COTHER");
    const res = await bed.command("watch web <#COTHER|other>", { channelId: "CDEPLOY" });
    const reply = await bed.fake.waitForReply(res.responseUrl);
    expect(text(reply)).toBe(
      "I'm not a member of <#COTHER>, so I cannot post there. Invite me with `/invite @cdnbot` in <#COTHER> and try again. The watch was not set up.",
    );
    const list = await bed.command("watches", { channelId: "CDEPLOY" });
    const watches = await bed.fake.waitForReply(list.responseUrl);
    expect(text(watches)).not.toContain("COTHER");
  });

  it("gets each purge on the watched distribution as it is requested and completed, with a link, once", async () => {
    const res = await bed.command("watch web <#CINC|incidents> --5xx 5% --4xx 20%", { channelId: "CDEPLOY" });
    const reply = await bed.fake.waitForCall("response_url", () => true);
    expect(res.status).toBe(200);
    expect(text(reply)).toBe("<#CINC> is watching `web`.");
    await bed.fake.waitForCall(
      "chat.postMessage",
      (b) => b.channel === "CINC" && /now gets `web`'s purges/.test(String(b.text)),
    );

    await bed.command("purge web /incident.html", { channelId: "CDEPLOY", userId: "UALICE" });
    await bed.fake.waitForCall(
      "chat.postMessage",
      (b) => b.channel === "CINC" && /Completed/.test(String(b.text)),
      15_000,
    );
    // Two more polls: a second notice for the same stage would have been posted by now.
    await bed.jobRuns("purge.poll", 2);

    const notices = postsIn("CINC")
      .map(text)
      .filter((t) => /purge of 1 path /.test(t));
    expect(notices).toEqual([
      expect.stringMatching(
        /^:broom: `web`: purge of 1 path requested \(by <@UALICE>\)\. <https:\/\/fake\.slack\.com\/archives\/CDEPLOY\/p\d+\|Thread>$/,
      ),
      expect.stringMatching(
        /^:white_check_mark: `web`: purge of 1 path Completed \(invalidation \S+\) \(by <@UALICE>\)/,
      ),
    ]);
  });

  it("hears about a purge that waits for approval, with the request id", async () => {
    await bed.command("purge web /img/*", { channelId: "CDEPLOY", userId: "UALICE" });
    const notice = await bed.fake.waitForCall(
      "chat.postMessage",
      (b) => b.channel === "CINC" && /waits for approval/.test(String(b.text)),
    );
    expect(text(notice)).toMatch(
      /^:lock: `web`: Purge of 1 path \(wildcard-purge\) waits for approval as R[0-9A-Z]{6} \(by <@UALICE>\)\. <https:\/\/fake\.slack\.com\/archives\/CDEPLOY\/p\d+\|Thread>$/,
    );
  });

  it("alerts once on a breach, stays quiet on a flapping metric and across a restart, and says when it recovers", async () => {
    await put(bed.web.id, "5xxErrorRate", [
      [9, 1],
      [8, 7],
      [7, 8],
      [6, 9],
    ]);
    await put(bed.web.id, "4xxErrorRate", [
      [9, 30],
      [8, 0],
      [7, 30],
      [6, 0],
      [5, 30],
    ]);

    const alert = await bed.fake.waitForCall(
      "chat.postMessage",
      (b) => b.channel === "CINC" && /Alert/.test(String(b.text)),
      10_000,
    );
    expect(text(alert)).toMatch(
      /^:rotating_light: Alert: web \(\w+\) 5xx error rate is 9\.00%, at or above 5%\. [▁▂▃▄▅▆▇█]+$/,
    );
    // Natively, the readings with the threshold drawn as a series of its own.
    const drawn = (alert.body.blocks as { type: string; chart?: Chart }[]).find(
      (b) => b.type === "data_visualization",
    );
    expect(drawn?.chart?.series.map((x) => x.name)).toEqual(["5xx error rate", "threshold 5%"]);
    expect(new Set(drawn?.chart?.series[1]?.data.map((p) => p.value))).toEqual(new Set([5]));

    await bed.restartBot("stop");
    await bed.jobRuns("alerts", 3);
    expect(postsIn("CINC").filter((c) => /Alert/.test(text(c)))).toHaveLength(1);

    await put(bed.web.id, "5xxErrorRate", [
      [4, 1],
      [3, 0.5],
      [2, 0],
    ]);
    const recovered = await bed.fake.waitForCall(
      "chat.postMessage",
      (b) => b.channel === "CINC" && /Recovered/.test(String(b.text)),
      10_000,
    );
    expect(text(recovered)).toMatch(/Recovered: web .* 5xx error rate is back to 0\.00%/);
    await bed.jobRuns("alerts", 3);
    const alerts = postsIn("CINC")
      .map(text)
      .filter((t) => /Alert|Recovered/.test(t));
    expect(alerts).toHaveLength(2);
    expect(alerts.join("\n")).not.toMatch(/4xx/);
  });

  it("lists and removes watches", async () => {
    await bed.command("watches");
    expect(text(await bed.fake.waitForCall("response_url", () => true))).toMatch(
      /`web` → <#CINC> \(5xx ≥ 5%, 4xx ≥ 20%\)/,
    );
    bed.fake.reset();
    await bed.command("unwatch web <#CINC|incidents>");
    expect(text(await bed.fake.waitForCall("response_url", () => true))).toBe(
      "<#CINC> no longer watches `web`.",
    );
  });

  it("sums a distribution up in one message on /cdn incident", async () => {
    await bed.command("incident web", { channelId: "CINC" });
    const summary = await bed.fake.waitForCall("chat.postMessage", (b) =>
      /Incident summary/.test(String(b.text)),
    );
    expect(text(summary)).toMatch(/\*State:\* \*(Deployed|InProgress)\*, Enabled/);
    expect(text(summary)).toMatch(/\*Last changes:\* .*purge completed by <@UALICE>/);
    expect(text(summary)).toMatch(/5xx error rate: /);
  });
});
