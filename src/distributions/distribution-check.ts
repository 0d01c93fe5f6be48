import { type AwsProblem, describeAwsError } from "../aws/aws-errors.js";
import type { InvalidationGateway } from "../aws/cloudfront-gateway.js";
import { UserError } from "../errors.js";
import type { Logger } from "../logger.js";
import { quote } from "../text/plain-text.js";

/** How long a distribution found readable is trusted before it is read again. */
const TRUSTED_FOR_MS = 10 * 60_000;

export type DistributionCheck = {
  /**
   * Refuses, before anything is posted or sent, a distribution CloudFront does not have or the bot
   * may not use (a wrong id, refused credentials). A transient failure lets the request through: the
   * engine retries it like any other.
   */
  ensureUsable(alias: string, distributionId: string): Promise<void>;
  /** What stops the bot reading this distribution, if anything (trusted for ten minutes when fine). */
  problemWith(distributionId: string): Promise<AwsProblem | undefined>;
  /** Reads each distribution once (at start-up) and logs what cannot be used. */
  checkAll(distributions: readonly { alias: string; id: string }[]): Promise<void>;
};

export function createDistributionCheck(
  cloudfront: InvalidationGateway,
  clock: () => number,
  logger: Logger,
): DistributionCheck {
  const fine = new Map<string, number>();
  async function read(id: string) {
    try {
      await cloudfront.getDistribution(id);
      fine.set(id, clock());
      return undefined;
    } catch (error) {
      fine.delete(id);
      return describeAwsError(error);
    }
  }
  // Requests arriving together share one read: a burst of purges asks CloudFront once, not once each.
  const reading = new Map<string, Promise<AwsProblem | undefined>>();
  async function problemWith(id: string) {
    const at = fine.get(id);
    if (at !== undefined && clock() - at < TRUSTED_FOR_MS) return undefined;
    const shared = reading.get(id) ?? read(id).finally(() => reading.delete(id));
    reading.set(id, shared);
    return shared;
  }
  return {
    problemWith,
    async ensureUsable(alias, id) {
      const problem = await problemWith(id);
      if (problem && !problem.retryable) {
        throw new UserError(`I cannot use ${quote(alias)} (${id}): ${problem.explanation} Nothing was sent.`);
      }
    },
    async checkAll(distributions) {
      await Promise.all(
        distributions.map(async ({ alias, id }) => {
          const problem = await read(id);
          if (problem) {
            logger.warn(`Distribution ${alias} (${id}) cannot be used: ${problem.explanation}`, {
              alias,
              distributionId: id,
              code: problem.code,
            });
          }
        }),
      );
    },
  };
}
