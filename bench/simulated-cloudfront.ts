import type { InvalidationGateway, InvalidationInfo } from "../src/aws/cloudfront-gateway.js";

/**
 * A counting stand-in for CloudFront in simulated time: each invalidation completes after a fixed,
 * seeded number of milliseconds, CallerReference is idempotent, and every call is counted.
 */
export class SimulatedCloudFront implements InvalidationGateway {
  readonly calls: Record<string, number> = {};
  readonly pathsSent: string[][] = [];
  private readonly invalidations = new Map<
    string,
    { distributionId: string; doneAt: number; createTime: Date }
  >();
  private readonly byReference = new Map<string, string>();
  private counter = 0;

  constructor(
    private readonly clock: () => number,
    private readonly durationMs: (index: number) => number,
  ) {}

  private count(op: string) {
    this.calls[op] = (this.calls[op] ?? 0) + 1;
  }

  private info(id: string): InvalidationInfo {
    const inv = this.invalidations.get(id)!;
    return {
      id,
      status: this.clock() >= inv.doneAt ? "Completed" : "InProgress",
      createTime: inv.createTime,
    };
  }

  async getDistribution(id: string) {
    this.count("GetDistribution");
    return {
      id,
      arn: "",
      domainName: `${id.toLowerCase()}.cloudfront.net`,
      aliases: [],
      status: "Deployed",
      enabled: true,
      comment: "",
    };
  }

  async createInvalidation(distributionId: string, paths: string[], callerReference: string) {
    this.count("CreateInvalidation");
    const known = this.byReference.get(`${distributionId}|${callerReference}`);
    if (known) return this.info(known);
    const id = `I${String(++this.counter).padStart(8, "0")}`;
    this.invalidations.set(id, {
      distributionId,
      doneAt: this.clock() + this.durationMs(this.counter),
      createTime: new Date(this.clock()),
    });
    this.byReference.set(`${distributionId}|${callerReference}`, id);
    this.pathsSent.push(paths);
    return this.info(id);
  }

  async getInvalidation(_distributionId: string, invalidationId: string) {
    this.count("GetInvalidation");
    return this.info(invalidationId);
  }

  async listInvalidations(distributionId: string, maxItems = 100) {
    this.count("ListInvalidations");
    return [...this.invalidations.entries()]
      .filter(([, inv]) => inv.distributionId === distributionId)
      .reverse()
      .slice(0, maxItems)
      .map(([id]) => this.info(id));
  }

  /** When CloudFront finished this invalidation, in simulated time. */
  doneAt(invalidationId: string): number | undefined {
    return this.invalidations.get(invalidationId)?.doneAt;
  }

  totalCalls(): number {
    return Object.values(this.calls).reduce((a, b) => a + b, 0);
  }
}
