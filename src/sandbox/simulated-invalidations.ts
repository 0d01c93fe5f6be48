import type { InvalidationInfo } from "../aws/cloudfront-gateway.js";
import { awsError } from "./simulated-aws-errors.js";

/** AWS's quotas on invalidation paths in progress per distribution. */
export const IN_PROGRESS_QUOTAS = { filePaths: 3000, wildcardPaths: 15 };
/** The most paths one invalidation may hold. */
export const MAX_PATHS_PER_INVALIDATION = 3000;

export type Invalidation = {
  id: string;
  distributionId: string;
  paths: string[];
  callerReference: string;
  createdAt: number;
  completesAt: number;
};

/**
 * CreateInvalidation's limit per account, as AWS applies it (a token bucket: about 0.5 a second
 * with a small burst, aws-sdk-js#3983); past it, `Throttling`. Off unless given.
 */
export type InvalidationRate = { perSecond: number; burst: number };

const isWildcard = (path: string) => path.endsWith("*");

export type InvalidationOptions = {
  /** CreateInvalidation's account limit; none unless given. */
  rate?: InvalidationRate;
  /** The paths-in-progress quotas (AWS's unless a test lowers them). */
  quotas?: typeof IN_PROGRESS_QUOTAS;
};

/**
 * Invalidations as CloudFront documents them: a `CallerReference` sent again returns the first
 * invalidation (or is refused if its paths differ), paths must start with "/", at most 3,000 a
 * batch, the paths-in-progress quotas, InProgress until their time is up, then Completed (and
 * Completed for good: a test that holds completion never takes one back).
 */
export class SimulatedInvalidations {
  readonly list: Invalidation[] = [];
  private tokens: number;
  private tokensAt: number | undefined;
  private held = false;
  private readonly completed = new Set<string>();
  private readonly quotas: typeof IN_PROGRESS_QUOTAS;

  constructor(
    private readonly clock: () => number,
    /** How long the n-th invalidation (from 1) takes. */
    private readonly durationOf: (n: number) => number,
    private readonly newId: () => string,
    private readonly options: InvalidationOptions = {},
  ) {
    this.tokens = options.rate?.burst ?? 0;
    this.quotas = options.quotas ?? IN_PROGRESS_QUOTAS;
  }

  /** Whether CloudFront has finished it: its time is up (and nobody holds completion), or it was made to. */
  isComplete(i: Invalidation): boolean {
    if (this.completed.has(i.id)) return true;
    if (this.held || this.clock() < i.completesAt) return false;
    this.completed.add(i.id);
    return true;
  }

  /** A test holds every invalidation InProgress (those already Completed stay so), or lets them go. */
  holdCompletion(hold: boolean): void {
    if (hold) for (const i of this.list) this.isComplete(i);
    this.held = hold;
  }

  /** A test finishes one now, whatever its time. */
  completeNow(id: string): void {
    this.completed.add(id);
  }

  create(distributionId: string, paths: string[], callerReference: string): Invalidation {
    const sameReference = this.list.find(
      (i) => i.distributionId === distributionId && i.callerReference === callerReference,
    );
    if (sameReference) {
      const samePaths =
        sameReference.paths.length === paths.length && sameReference.paths.every((p, i) => p === paths[i]);
      if (!samePaths)
        throw awsError(
          "InvalidationBatchAlreadyExists",
          "The caller reference that you are using to create an invalidation batch is already in use.",
          409,
        );
      return sameReference;
    }
    this.takeTurn();
    if (paths.length === 0) throw awsError("InvalidArgument", "Your request contains no paths.", 400);
    if (paths.length > MAX_PATHS_PER_INVALIDATION)
      throw awsError("BatchTooLarge", "Invalidation batch specified is too large.", 413);
    // A path starts with `/`; a cache tag with `#` (visible ASCII but commas, at most 256, no `*`).
    const bad = paths.find((p) => (p.startsWith("#") ? !/^#[!-)+\--~]{1,256}$/.test(p) : !p.startsWith("/")));
    if (bad)
      throw awsError("InvalidArgument", `Your request contains one or more invalid paths: ${bad}`, 400);
    const runningPaths = this.list
      .filter((i) => i.distributionId === distributionId && !this.isComplete(i))
      .flatMap((i) => i.paths);
    const wildcards = (list: string[]) => list.filter(isWildcard).length;
    const files = (list: string[]) => list.length - wildcards(list);
    if (
      files(runningPaths) + files(paths) > this.quotas.filePaths ||
      wildcards(runningPaths) + wildcards(paths) > this.quotas.wildcardPaths
    )
      throw awsError(
        "TooManyInvalidationsInProgress",
        "You have exceeded the maximum number of allowable InProgress invalidation batch requests, or invalidation objects.",
        400,
      );
    const invalidation: Invalidation = {
      id: this.newId(),
      distributionId,
      paths: [...paths],
      callerReference,
      createdAt: this.clock(),
      completesAt: this.clock() + this.durationOf(this.list.length + 1),
    };
    this.list.push(invalidation);
    return invalidation;
  }

  find(distributionId: string, invalidationId: string): Invalidation {
    const found = this.list.find((i) => i.distributionId === distributionId && i.id === invalidationId);
    if (!found) throw awsError("NoSuchInvalidation", "The specified invalidation does not exist.", 404);
    return found;
  }

  /** The newest first, as ListInvalidations gives them. */
  newest(distributionId: string, maxItems: number): Invalidation[] {
    return this.list
      .filter((i) => i.distributionId === distributionId)
      .reverse()
      .slice(0, maxItems);
  }

  info(i: Invalidation): InvalidationInfo {
    return {
      id: i.id,
      status: this.isComplete(i) ? "Completed" : "InProgress",
      createTime: new Date(i.createdAt),
      paths: [...i.paths],
      callerReference: i.callerReference,
    };
  }

  /** The account's turn to create one, if a rate is simulated; else `Throttling`. */
  private takeTurn(): void {
    const { rate } = this.options;
    if (!rate) return;
    const now = this.clock();
    const since = this.tokensAt === undefined ? 0 : (now - this.tokensAt) / 1000;
    this.tokens = Math.min(rate.burst, this.tokens + since * rate.perSecond);
    this.tokensAt = now;
    if (this.tokens < 1) throw awsError("Throttling", "Rate exceeded", 400);
    this.tokens -= 1;
  }
}
