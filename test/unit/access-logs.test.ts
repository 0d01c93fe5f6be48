import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import {
  CloudWatchLogsClient,
  DescribeDeliveriesCommand,
  GetDeliveryDestinationCommand,
  GetDeliverySourceCommand,
  GetQueryResultsCommand,
  StartQueryCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { describe, expect, it } from "vitest";
import { createAccessLogGateway } from "../../src/aws/access-log-calls.js";
import { parseCdnCommand } from "../../src/commands/parse-cdn-command.js";
import { parseConfig } from "../../src/config/load-config.js";
import { DistributionDirectory } from "../../src/directory/distribution-directory.js";
import { AccessLogReader, LEGACY_FIELDS } from "../../src/logs/access-log-lines.js";
import { readAccessLogs } from "../../src/logs/access-log-report.js";
import { AccessLogSummarizer } from "../../src/logs/access-log-summary.js";
import { maskedClients, maskIp } from "../../src/logs/client-ips.js";
import { summarizeLogFile } from "../../src/logs/log-file-stream.js";
import { insightsQueries } from "../../src/logs/log-insights.js";
import { bucketOfLoggingDomain, fileMayHold, hourOfKey, listingsFor } from "../../src/logs/log-locations.js";
import { parseLogFilters, parseLogWindow } from "../../src/logs/log-query.js";
import { TopCounter } from "../../src/logs/top-counter.js";

/** A legacy log line, as CloudFront writes one, from the fields that matter here. */
function line(r: {
  at: string;
  edge?: string;
  ip?: string;
  path?: string;
  status?: number;
  bytes?: number;
  result?: string;
  agent?: string;
  seconds?: number;
}): string {
  const [date, time] = r.at.split(" ");
  const cells: Record<string, string> = {
    date: date!,
    time: time!,
    "x-edge-location": r.edge ?? "LAX1-C1",
    "sc-bytes": String(r.bytes ?? 1000),
    "c-ip": r.ip ?? "192.0.2.1",
    "cs-method": "GET",
    "cs(Host)": "d111111abcdef8.cloudfront.net",
    "cs-uri-stem": r.path ?? "/index.html",
    "sc-status": String(r.status ?? 200),
    "cs(Referer)": "-",
    "cs(User-Agent)": r.agent ?? "Mozilla/5.0%20(Macintosh)",
    "cs-uri-query": "-",
    "cs(Cookie)": "-",
    "x-edge-result-type": r.result ?? "Hit",
    "x-edge-request-id": "abc==",
    "x-host-header": "www.example.com",
    "cs-protocol": "https",
    "cs-bytes": "300",
    "time-taken": String(r.seconds ?? 0.01),
  };
  return LEGACY_FIELDS.map((f) => cells[f]).join("\t");
}

const HEADER = ["#Version: 1.0", `#Fields: ${LEGACY_FIELDS.join(" ")}`];
const hour = { fromMs: Date.parse("2026-12-07T10:00:00Z"), toMs: Date.parse("2026-12-07T11:00:00Z") };

describe("CloudFront's access log lines", () => {
  it("reads the columns its #Fields line names, in any order, and decodes the user agent", () => {
    const reader = new AccessLogReader();
    expect(reader.read("#Fields: time date sc-status cs-uri-stem c-ip cs(User-Agent)")).toBeUndefined();
    expect(reader.read("10:01:02\t2026-12-07\t503\t/api/cart\t198.51.100.7\tcurl/8.0%2520x")).toMatchObject({
      at: Date.parse("2026-12-07T10:01:02Z"),
      status: 503,
      path: "/api/cart",
      clientIp: "198.51.100.7",
      userAgent: "curl/8.0 x",
    });
  });

  it("reads logging v2's JSON lines by the same field names", () => {
    const reader = new AccessLogReader();
    const record = reader.read(
      JSON.stringify({
        date: "2026-12-07",
        time: "13:05:00",
        "c-ip": "203.0.113.5",
        "cs-uri-stem": "/api/cart",
        "sc-status": 502,
        "x-edge-result-type": "Error",
        "time-taken": 1.5,
      }),
    );
    expect(record).toMatchObject({
      at: Date.UTC(2026, 11, 7, 13, 5),
      clientIp: "203.0.113.5",
      path: "/api/cart",
      status: 502,
      result: "Error",
      timeTaken: 1.5,
    });
    expect(reader.read("{not json")).toBeUndefined();
    expect(reader.malformed).toBe(1);
  });

  it("counts a line it cannot read, and goes on", () => {
    const reader = new AccessLogReader();
    expect(reader.read("not\ta\tlog\tline")).toBeUndefined();
    expect(reader.read("")).toBeUndefined();
    expect(reader.malformed).toBe(1);
    expect(reader.read(line({ at: "2026-12-07 10:00:00" }))?.status).toBe(200);
  });
});

describe("a window's summary", () => {
  const lines = [
    line({ at: "2026-12-07 10:00:01", path: "/", result: "Hit", bytes: 100 }),
    line({
      at: "2026-12-07 10:05:00",
      path: "/api/cart",
      status: 502,
      result: "Error",
      ip: "203.0.113.9",
      seconds: 2,
    }),
    line({
      at: "2026-12-07 10:06:00",
      path: "/api/cart",
      status: 502,
      result: "Error",
      ip: "203.0.113.9",
      seconds: 4,
    }),
    line({ at: "2026-12-07 10:07:00", path: "/api/items", status: 404, result: "Miss", edge: "FRA56-P1" }),
    line({ at: "2026-12-07 10:59:59", path: "/", result: "RefreshHit", bytes: 300 }),
    // Outside the window: not counted, but read.
    line({ at: "2026-12-07 11:00:00", path: "/late" }),
    line({ at: "2026-12-07 09:59:59", path: "/early" }),
  ];
  const summarize = (filter = {}) => {
    const summarizer = new AccessLogSummarizer(hour, filter);
    const reader = new AccessLogReader();
    for (const l of [...HEADER, ...lines]) {
      const record = reader.read(l);
      if (record) summarizer.add(record);
    }
    return summarizer.summary();
  };

  it("gives the exact counts the lines hold", () => {
    const s = summarize();
    expect(s).toMatchObject({
      requests: 5,
      bytes: 100 + 1000 + 1000 + 1000 + 300,
      statuses: { "2xx": 2, "3xx": 0, "4xx": 1, "5xx": 2, other: 0 },
      linesRead: 7,
      newestAt: Date.parse("2026-12-07T10:59:59Z"),
    });
    // Hits and RefreshHits over hits and misses: 2 of 3 (errors are neither).
    expect(s.cacheHitRatio).toBeCloseTo(2 / 3);
    expect(s.topPaths.slice(0, 2)).toEqual([
      { value: "/", count: 2, exact: true },
      { value: "/api/cart", count: 2, exact: true },
    ]);
    expect(s.topClientIps[0]).toEqual({ value: "192.0.2.1", count: 3, exact: true });
  });

  it.each([
    [{ status: "5xx" }, 2, "/api/cart"],
    [{ status: "404" }, 1, "/api/items"],
    [{ path: "/api/*" }, 3, "/api/cart"],
    [{ ip: "203.0.113.9" }, 2, "/api/cart"],
    [{ edge: "FRA" }, 1, "/api/items"],
  ])("narrows to %j", (filter, requests, top) => {
    const s = summarize(filter);
    expect(s.requests).toBe(requests);
    expect(s.topPaths[0]?.value).toBe(top);
  });
});

describe("the slowest paths and the most frequent values, in bounded memory", () => {
  it("ranks paths by their mean time-taken once they were asked for often enough", () => {
    const summarizer = new AccessLogSummarizer(hour);
    const reader = new AccessLogReader();
    for (let i = 0; i < 5; i++) {
      summarizer.add(reader.read(line({ at: "2026-12-07 10:10:00", path: "/slow", seconds: 3 }))!);
      summarizer.add(reader.read(line({ at: "2026-12-07 10:10:00", path: "/fast", seconds: 0.1 }))!);
    }
    summarizer.add(reader.read(line({ at: "2026-12-07 10:10:00", path: "/once", seconds: 30 }))!);
    expect(summarizer.summary().slowestPaths.map((p) => [p.value, p.meanSeconds])).toEqual([
      ["/slow", 3],
      ["/fast", 0.1],
    ]);
  });

  it("keeps the heavy hitters of a hundred thousand distinct values, exactly, in a few thousand counters", () => {
    const counter = new TopCounter(100);
    for (let i = 0; i < 100_000; i++) {
      counter.add(`/rare/${i}`);
      if (i % 10 === 0) counter.add("/hot");
      if (i % 50 === 0) counter.add("/warm");
    }
    const top = counter.top(2);
    expect(top[0]).toMatchObject({ value: "/hot", count: 10_000 });
    expect(top[1]?.value).toBe("/warm");
    // A value kept from the start is exact; its count may only ever be over, never under.
    expect(top[0]!.exact).toBe(true);
    expect(top[1]!.count).toBeGreaterThanOrEqual(2_000);
  });

  it("streams a gzipped file a line at a time, with the same numbers as its lines", async () => {
    const many = Array.from({ length: 20_000 }, (_, i) =>
      line({ at: "2026-12-07 10:30:00", path: `/p/${i % 7}`, status: i % 100 === 0 ? 500 : 200 }),
    );
    const file = gzipSync(`${[...HEADER, ...many].join("\n")}\n`);
    const summarizer = new AccessLogSummarizer(hour);
    const read = await summarizeLogFile(
      Readable.from([file.subarray(0, 1000), file.subarray(1000)]),
      true,
      summarizer,
    );
    const s = summarizer.summary();
    expect(read.malformed).toBe(0);
    expect(s.requests).toBe(20_000);
    expect(s.statuses["5xx"]).toBe(200);
    expect(s.topPaths.map((p) => p.value)).toHaveLength(7);
  });
});

describe("what /cdn logs is asked", () => {
  const NOW = Date.UTC(2026, 11, 7, 14, 20);

  it("takes a window from 5 minutes to 24 hours, ending now", () => {
    expect(parseLogWindow(undefined, NOW)).toEqual({ fromMs: NOW - 3_600_000, toMs: NOW, label: "1h" });
    expect(parseLogWindow("90m", NOW).fromMs).toBe(NOW - 90 * 60_000);
    expect(parseLogWindow("24h", NOW).fromMs).toBe(NOW - 24 * 3_600_000);
    for (const bad of ["4m", "25h", "1d", "h", "-1h", "1.5h"])
      expect(() => parseLogWindow(bad, NOW), bad).toThrow(/from 5m to 24h/);
  });

  it("takes each filter once, in its form, and names what it refuses", () => {
    expect(parseLogFilters(["status=5XX", "path=/api/*", "ip=2001:db8::1", "edge=FRA"])).toEqual({
      status: "5XX",
      path: "/api/*",
      ip: "2001:db8::1",
      edge: "FRA",
    });
    expect(() => parseLogFilters(["status=6xx"])).toThrow(/status must be a status class or code/);
    expect(() => parseLogFilters(["path=api/*"])).toThrow(/path must be a path starting with \//);
    expect(() => parseLogFilters(["path=/a*b"])).toThrow(/a \* may end a prefix/);
    expect(() => parseLogFilters(["status=5xx", "status=4xx"])).toThrow(/given twice/);
    expect(() => parseLogFilters(["host=x"])).toThrow(/`host=x` is not a filter I know/);
  });

  it("parses /cdn logs with the window optional and the filters after it", () => {
    expect(parseCdnCommand("logs web")).toEqual({ verb: "logs", distribution: "web", filter: {} });
    expect(parseCdnCommand("logs web 6h status=5xx")).toEqual({
      verb: "logs",
      distribution: "web",
      window: "6h",
      filter: { status: "5xx" },
    });
    expect(parseCdnCommand("logs web path=/x")).toEqual({
      verb: "logs",
      distribution: "web",
      filter: { path: "/x" },
    });
    expect(() => parseCdnCommand("logs")).toThrow(/Tell me which distribution.*Usage/);
    expect(() => parseCdnCommand("logs web 2d")).toThrow(/from 5m to 24h.*Usage/);
    expect(() => parseCdnCommand("logs web 1h 2h")).toThrow(/`2h` is not a filter I know/);
  });

  it("parses /cdn logging: logging v2 with to=, legacy with bucket=, off, show", () => {
    expect(parseCdnCommand("logging web on to=s3:logs/web format=json fields=date,time,c-ip")).toMatchObject({
      verb: "change",
      distribution: "web",
      spec: {
        kind: "log-delivery",
        destination: "s3:logs/web",
        format: "json",
        fields: ["date", "time", "c-ip"],
      },
    });
    expect(parseCdnCommand("logging web on to=logs:/cdn/web")).toMatchObject({
      spec: { kind: "log-delivery", destination: "logs:/cdn/web" },
    });
    expect(parseCdnCommand("logging web off")).toMatchObject({
      spec: { kind: "log-delivery", destination: null },
    });
    expect(parseCdnCommand("logging web off legacy")).toMatchObject({
      spec: { kind: "logging", enabled: false },
    });
    expect(parseCdnCommand("logging web on bucket=logs prefix=web/")).toMatchObject({
      spec: { kind: "logging", enabled: true, bucket: "logs", prefix: "web/" },
    });
    expect(parseCdnCommand("logging web show")).toEqual({
      verb: "config",
      distribution: "web",
      section: "logging",
    });
    expect(() => parseCdnCommand("logging web on to=ftp:x")).toThrow(/`to=` is `s3:<bucket>/);
    expect(() => parseCdnCommand("logging web on to=s3:x bucket=y")).toThrow(/give one or the other/);
    expect(() => parseCdnCommand("logging web on to=s3:x format=csv")).toThrow(/`format=` is/);
    expect(() => parseCdnCommand("logging web on bucket=x format=json")).toThrow(/go with logging v2/);
  });
});

describe("finding a window's files by the hour in their names", () => {
  const ids = { distributionId: "E2EXAMPLE", accountId: "123456789012" };
  // 13:20 to 14:20: the files named for hours 13 and 14.
  const window = { fromMs: Date.UTC(2026, 11, 7, 13, 20), toMs: Date.UTC(2026, 11, 7, 14, 20) };

  it("walks a legacy prefix once, from the window's first hour", () => {
    expect(listingsFor({ kind: "legacy", bucket: "logs", prefix: "cf/" }, window, ids)).toEqual([
      { prefix: "cf/E2EXAMPLE.", startAfter: "cf/E2EXAMPLE.2026-12-07-13" },
    ]);
  });

  it("walks a v2 delivery's hourly partitions, one per hour, its variables filled", () => {
    const location = {
      kind: "s3" as const,
      bucket: "logs",
      prefix: "cloudfront/",
      suffixPath: "{accountid}/{DistributionId}/{yyyy}/{MM}/{dd}/{HH}",
      format: "w3c",
      deliveryId: "d1",
    };
    expect(listingsFor(location, window, ids)).toEqual([
      { prefix: "cloudfront/123456789012/E2EXAMPLE/2026/12/07/13" },
      { prefix: "cloudfront/123456789012/E2EXAMPLE/2026/12/07/14" },
    ]);
    // Partitioned by day: one walk for the day.
    expect(listingsFor({ ...location, suffixPath: "{yyyy}/{MM}/{dd}/" }, window, ids)).toEqual([
      { prefix: "cloudfront/2026/12/07/" },
    ]);
  });

  it("keeps the files whose hour may hold the window's requests, and says when the walk is past it", () => {
    expect(hourOfKey("cf/E2EXAMPLE.2026-12-07-13.a1b2.gz")).toBe(Date.UTC(2026, 11, 7, 13));
    expect(hourOfKey("cf/notes.txt")).toBeUndefined();
    expect(fileMayHold("cf/E2EXAMPLE.2026-12-07-12.a.gz", window)).toBe("no");
    expect(fileMayHold("cf/E2EXAMPLE.2026-12-07-13.a.gz", window)).toBe("yes");
    expect(fileMayHold("cf/E2EXAMPLE.2026-12-07-14.a.gz", window)).toBe("yes");
    expect(fileMayHold("cf/E2EXAMPLE.2026-12-07-15.a.gz", window)).toBe("later");
    expect(fileMayHold("cf/README", window)).toBe("no");
  });

  it("reads the bucket out of legacy logging's domain", () => {
    expect(bucketOfLoggingDomain("web-logs.s3.amazonaws.com")).toBe("web-logs");
    expect(bucketOfLoggingDomain("web-logs.s3.eu-west-1.amazonaws.com")).toBe("web-logs");
    expect(bucketOfLoggingDomain("web-logs")).toBe("web-logs");
  });
});

describe("client addresses, masked", () => {
  it("keeps the network of an address and drops the host", () => {
    expect(maskIp("203.0.113.77")).toBe("203.0.113.0/24");
    expect(maskIp("2001:db8:1:2::7")).toBe("2001:db8:1::/48");
    expect(maskIp("2001:0db8:0000::1")).toBe("2001:db8:0::/48");
    expect(maskIp("::1")).toBe("0:0:0::/48");
    expect(maskIp("not-an-address")).toBe("(masked)");
  });

  it("counts the addresses of one network together", () => {
    expect(
      maskedClients([
        { value: "203.0.113.5", count: 25, exact: true },
        { value: "198.51.100.7", count: 12, exact: true },
        { value: "203.0.113.9", count: 10, exact: false },
      ]),
    ).toEqual([
      { value: "203.0.113.0/24", count: 35, exact: false },
      { value: "198.51.100.0/24", count: 12, exact: true },
    ]);
  });
});

describe("a log group's access logs, through Logs Insights", () => {
  it("asks each figure of the same requests, the filters written so what a person typed stays data", () => {
    const queries = insightsQueries(
      { status: "5xx", path: '/a"b.c/*', edge: "fra", ip: "2001:db8::1" },
      { fromMs: 0, toMs: 3_600_000 },
    );
    const head =
      'filter `sc-status` >= 500 and `sc-status` <= 599 | filter `cs-uri-stem` like /^\\/a"b\\.c\\// | filter `c-ip` = "2001:db8::1" | filter `x-edge-location` like /(?i)^fra/';
    expect(queries.paths).toBe(
      `${head} | stats count(*) as requests by \`cs-uri-stem\` | sort requests desc | limit 10`,
    );
    expect(queries.statuses).toBe(
      `${head} | fields floor(\`sc-status\` / 100) as klass | stats count(*) as requests, sum(\`sc-bytes\`) as bytes by klass`,
    );
    expect(insightsQueries({ path: '/x"y' }, { fromMs: 0, toMs: 3_600_000 }).results).toBe(
      'filter `cs-uri-stem` = "/x\\"y" | stats count(*) as requests by `x-edge-result-type`',
    );
    expect(insightsQueries({ status: "404" }, { fromMs: 0, toMs: 86_400_000 }).agents).toMatch(
      /^filter `sc-status` = 404 \| /,
    );
    // A day's timeline in 24-minute bars: 60 of them.
    expect(insightsQueries({}, { fromMs: 0, toMs: 86_400_000 }).timeline).toContain("by bin(24m), klass");
  });

  it("reads a CloudWatch Logs delivery's figures from Insights' rows, exactly, client networks masked", async () => {
    const cwl = mockClient(CloudWatchLogsClient);
    const s3 = mockClient(S3Client);
    cwl.on(DescribeDeliveriesCommand).resolves({
      deliveries: [
        {
          id: "d1",
          deliverySourceName: "web-src",
          deliveryDestinationArn: "arn:aws:logs:us-east-1:123456789012:delivery-destination:web-cwl",
          deliveryDestinationType: "CWL",
        },
      ],
    });
    cwl.on(GetDeliverySourceCommand).resolves({
      deliverySource: {
        logType: "ACCESS_LOGS",
        resourceArns: ["arn:aws:cloudfront::123456789012:distribution/E2WEBEXAMPLE1"],
      },
    });
    cwl.on(GetDeliveryDestinationCommand).resolves({
      deliveryDestination: {
        deliveryDestinationType: "CWL",
        outputFormat: "json",
        deliveryDestinationConfiguration: {
          destinationResourceArn: "arn:aws:logs:us-east-1:123456789012:log-group:/cdn/web:*",
        },
      },
    });
    const rowsFor: [RegExp, Record<string, string>[]][] = [
      [
        /by klass/,
        [
          { klass: "2", requests: "90", bytes: "9000" },
          { klass: "5", requests: "10", bytes: "100" },
        ],
      ],
      [
        /by `x-edge-result-type`/,
        [
          { "x-edge-result-type": "Hit", requests: "60" },
          { "x-edge-result-type": "Miss", requests: "20" },
        ],
      ],
      [
        /by `cs-uri-stem` \| sort requests/,
        [
          { "cs-uri-stem": "/", requests: "70" },
          { "cs-uri-stem": "/api", requests: "30" },
        ],
      ],
      [
        /by `c-ip`/,
        [
          { "c-ip": "203.0.113.5", requests: "50" },
          { "c-ip": "203.0.113.9", requests: "40" },
        ],
      ],
      [/by `x-edge-location`/, [{ "x-edge-location": "FRA56-P1", requests: "100" }]],
      [/by `cs\(User-Agent\)`/, [{ "cs(User-Agent)": "curl/8.5.0", requests: "100" }]],
      [/avg\(`time-taken`\)/, [{ "cs-uri-stem": "/api", requests: "30", mean: "1.25" }]],
      [/by bin\(1m\), klass/, [{ "bin(1m)": "2026-12-07 13:30:00.000", klass: "5", requests: "10" }]],
    ];
    const queries = new Map<string, string>();
    cwl.on(StartQueryCommand).callsFake((input: { queryString: string; logGroupName: string }) => {
      expect(input.logGroupName).toBe("/cdn/web");
      const id = `q${queries.size}`;
      queries.set(id, input.queryString);
      return { queryId: id };
    });
    let polls = 0;
    cwl.on(GetQueryResultsCommand).callsFake((input: { queryId: string }) => {
      // Each query is Running once, then Complete.
      if (++polls <= 8) return { status: "Running" };
      const query = queries.get(input.queryId)!;
      const rows = rowsFor.find(([pattern]) => pattern.test(query))?.[1] ?? [];
      return {
        status: "Complete",
        statistics: { recordsScanned: 100, bytesScanned: 25_000 },
        results: rows.map((row) => Object.entries(row).map(([field, value]) => ({ field, value }))),
      };
    });
    try {
      const config = parseConfig(
        "distributions:\n  web:\n    id: E2WEBEXAMPLE1\naccessLogs:\n  logGroups: [/cdn/web]\n",
        "cdnbot.yml",
      );
      const report = await readAccessLogs(
        {
          config,
          directory: new DistributionDirectory(config),
          cloudfront: {
            getDistributionConfig: async () => ({ config: {} as never, etag: "E1" }),
            getDistribution: async () =>
              ({ arn: "arn:aws:cloudfront::123456789012:distribution/E2WEBEXAMPLE1" }) as never,
          },
          logs: createAccessLogGateway(
            new S3Client({ region: "us-east-1" }),
            new CloudWatchLogsClient({ region: "us-east-1" }),
          ),
          clock: () => Date.UTC(2026, 11, 7, 14),
        },
        { distribution: "web", window: "1h", filter: {}, showClientIps: false },
      );
      expect(report).toMatchObject({
        state: "read",
        locations: ["CloudWatch Logs group /cdn/web (logging v2)"],
        bytesRead: 25_000,
        summary: {
          requests: 100,
          bytes: 9100,
          cacheHitRatio: 0.75,
          statuses: { "2xx": 90, "5xx": 10 },
          topPaths: [
            { value: "/", count: 70, exact: true },
            { value: "/api", count: 30, exact: true },
          ],
          topClientIps: [{ value: "203.0.113.0/24", count: 90 }],
          slowestPaths: [{ value: "/api", count: 30, meanSeconds: 1.25 }],
          linesRead: 100,
        },
      });
      expect(cwl.commandCalls(StartQueryCommand)).toHaveLength(8);
      // The 5xx bar of 13:30, half an hour into the window.
      expect(report.summary.timeline.counts["5xx"][30]).toBe(10);
      expect(report.summary.timeline.counts["5xx"].reduce((a, b) => a + b)).toBe(10);
      expect(s3.calls()).toHaveLength(0);
    } finally {
      cwl.restore();
      s3.restore();
    }
  }, 20_000);
});
