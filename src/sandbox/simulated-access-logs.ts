import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import type {
  AccessLogDelivery,
  AccessLogGateway,
  LogObject,
  NewAccessLogDelivery,
} from "../aws/access-log-calls.js";

/** The bucket the sandbox's distributions log to (a logging v2 delivery each), as its config lists it. */
export const SANDBOX_LOG_BUCKET = "cdnbot-sandbox-logs";

const HOUR = 3_600_000;
/** Hours of logs kept: the longest window `/cdn logs` reads, and one more. */
const KEPT_HOURS = 25;
/** CloudFront delivers an hour's file minutes after it: the current hour is 5 minutes behind. */
const DELIVERY_LAG_MS = 5 * 60_000;

const PATHS = [
  "/",
  "/index.html",
  "/css/app.css",
  "/js/app.js",
  "/api/cart",
  "/api/search",
  "/img/logo.png",
  "/docs/start",
];
const EDGES = ["FRA56-P1", "IAD89-C2", "LHR61-P3", "NRT57-P2", "GRU3-C1"];
const AGENTS = ["Mozilla/5.0%20(X11;%20Linux%20x86_64)", "curl/8.5.0", "Googlebot/2.1"];

/**
 * Access logs in memory, as CloudFront would write them: one gzipped W3C file per distribution and
 * hour (named as logging v2 names them), made when read from a seed, so the same hour always holds
 * the same lines. A few clients and paths dominate, a share of /api/ answers 5xx: something to find.
 */
export class SimulatedAccessLogs implements AccessLogGateway {
  constructor(
    /** Requests a minute at the daily peak, by distribution id (undefined: not a distribution here). */
    private readonly peakOf: (distributionId: string) => number | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** Deliveries made or deleted by `/cdn logging`, by distribution id (until then, the one below). */
  private readonly changed = new Map<string, AccessLogDelivery[]>();
  private made = 0;

  async listAccessLogDeliveries(distributionId: string): Promise<AccessLogDelivery[]> {
    const changed = this.changed.get(distributionId);
    if (changed) return changed.map((d) => ({ ...d }));
    if (this.peakOf(distributionId) === undefined) return [];
    return [
      {
        id: `sandbox-${distributionId}`,
        sourceName: `sandbox-${distributionId}`,
        destinationType: "S3",
        destinationArn: `arn:aws:s3:::${SANDBOX_LOG_BUCKET}/cloudfront`,
        format: "w3c",
        suffixPath: "{DistributionId}/{yyyy}/{MM}/{dd}/{HH}",
      },
    ];
  }

  async createAccessLogDelivery(input: NewAccessLogDelivery): Promise<{ id: string }> {
    const distributionId = input.distributionArn.split("/").pop() ?? "";
    const kind = /^arn:[^:]+:(s3|logs|firehose):/.exec(input.destinationArn)?.[1];
    const delivery: AccessLogDelivery = {
      id: `sandbox-made-${++this.made}`,
      sourceName: input.sourceName,
      destinationType: kind === "s3" ? "S3" : kind === "logs" ? "CWL" : "FH",
      destinationArn: input.destinationArn,
      format: input.format,
      suffixPath: input.suffixPath ?? "",
      ...(input.fields ? { fields: input.fields } : {}),
    };
    const now = await this.listAccessLogDeliveries(distributionId);
    this.changed.set(distributionId, [...now, delivery]);
    return { id: delivery.id };
  }

  async deleteAccessLogDelivery(id: string): Promise<void> {
    for (const distributionId of [...this.changed.keys(), ...this.knownIds(id)]) {
      const now = await this.listAccessLogDeliveries(distributionId);
      if (now.some((d) => d.id === id))
        this.changed.set(
          distributionId,
          now.filter((d) => d.id !== id),
        );
    }
  }

  /** The distribution a simulated delivery's id names (`sandbox-<id>`). */
  private knownIds(id: string): string[] {
    const match = /^sandbox-([A-Z0-9]+)$/.exec(id);
    return match ? [match[1]!] : [];
  }

  /** Log groups hold nothing here: a delivery to one made in the sandbox answers with no rows. */
  async queryLogGroup(): Promise<{
    rows: Record<string, string>[];
    bytesScanned: number;
    recordsScanned: number;
  }> {
    return { rows: [], bytesScanned: 0, recordsScanned: 0 };
  }

  /** Made today's way: ACLs disabled (logging v2 delivers to it; legacy logging could not). */
  async bucketOwnership(): Promise<string> {
    return "BucketOwnerEnforced";
  }

  async bucketAclGrants(): Promise<{ grantee: string; permission: string }[]> {
    return [];
  }

  async listLogObjects(
    bucket: string,
    listing: { prefix: string; startAfter?: string },
  ): Promise<{ objects: LogObject[] }> {
    if (bucket !== SANDBOX_LOG_BUCKET) return { objects: [] };
    const objects: LogObject[] = [];
    const newest = Math.floor((this.now() - DELIVERY_LAG_MS) / HOUR) * HOUR;
    for (let at = newest - (KEPT_HOURS - 1) * HOUR; at <= newest; at += HOUR) {
      for (const id of this.distributionIdsIn(listing.prefix, at)) {
        const key = this.keyOf(id, at);
        if (!key.startsWith(listing.prefix) || (listing.startAfter && key <= listing.startAfter)) continue;
        objects.push({
          key,
          size: this.file(id, at).length,
          lastModified: new Date(at + HOUR + DELIVERY_LAG_MS),
        });
      }
    }
    return { objects: objects.sort((a, b) => a.key.localeCompare(b.key)) };
  }

  async openLogObject(bucket: string, key: string): Promise<Readable> {
    const match =
      /cloudfront\/([A-Z0-9]+)\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/\1\.(\d{4})-(\d{2})-(\d{2})-(\d{2})\./.exec(key);
    if (bucket !== SANDBOX_LOG_BUCKET || !match)
      throw Object.assign(new Error("The specified key does not exist."), { name: "NoSuchKey" });
    const at = Date.UTC(Number(match[2]), Number(match[3]) - 1, Number(match[4]), Number(match[5]));
    return Readable.from([this.file(match[1]!, at)]);
  }

  private distributionIdsIn(prefix: string, _at: number): string[] {
    const id = /^cloudfront\/([A-Z0-9]+)\//.exec(prefix)?.[1];
    return id && this.peakOf(id) !== undefined ? [id] : [];
  }

  private keyOf(id: string, at: number): string {
    const d = new Date(at).toISOString();
    const stamp = `${d.slice(0, 10)}-${d.slice(11, 13)}`;
    return `cloudfront/${id}/${d.slice(0, 4)}/${d.slice(5, 7)}/${d.slice(8, 10)}/${d.slice(11, 13)}/${id}.${stamp}.sandbox.gz`;
  }

  /** One hour's file: a line per sampled request (a hundredth of the peak rate, so files stay small). */
  private file(id: string, at: number): Buffer {
    let seed = (at / HOUR) ^ [...id].reduce((h, c) => (h * 31 + c.charCodeAt(0)) | 0, 7);
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() ** 2 * items.length)]!;
    const lines = [
      "#Version: 1.0",
      "#Fields: date time x-edge-location sc-bytes c-ip cs-method cs-uri-stem sc-status cs(User-Agent) x-edge-result-type time-taken",
    ];
    const count = Math.max(10, Math.round((this.peakOf(id) ?? 0) * 60 * 0.01));
    for (let i = 0; i < count; i++) {
      const when = new Date(at + Math.floor(random() * HOUR)).toISOString();
      const path = pick(PATHS);
      const failed = path.startsWith("/api/") && random() < 0.08;
      const hit = !failed && !path.startsWith("/api/") && random() < 0.85;
      lines.push(
        [
          when.slice(0, 10),
          when.slice(11, 19),
          pick(EDGES),
          String(200 + Math.floor(random() * 40_000)),
          `198.51.100.${1 + Math.floor(random() ** 3 * 40)}`,
          "GET",
          path,
          failed ? "502" : random() < 0.03 ? "404" : "200",
          pick(AGENTS),
          failed ? "Error" : hit ? "Hit" : "Miss",
          (failed ? 1 + random() * 4 : hit ? 0.002 + random() * 0.02 : 0.05 + random() * 0.3).toFixed(3),
        ].join("\t"),
      );
    }
    return gzipSync(`${lines.join("\n")}\n`);
  }
}
