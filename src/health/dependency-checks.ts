import { describeAwsError } from "../aws/aws-errors.js";
import type { Logger } from "../logger.js";
import type { Readiness } from "./readiness.js";

/** What must pass for the bot to be ready to take work. */
export const READINESS_CHECKS = ["config", "store", "slack", "aws"] as const;

/**
 * Asks Slack and AWS whether they answer and records it. An AWS answer that refuses (a wrong id,
 * denied access) still proves AWS is reachable: `npm run doctor`-style problems are logged at start,
 * readiness is about being able to talk at all.
 */
export async function checkDependencies(deps: {
  readiness: Readiness;
  clock: () => number;
  logger: Logger;
  slack: () => Promise<void>;
  aws: () => Promise<void>;
}): Promise<void> {
  const check = async (name: string, call: () => Promise<void>, answered: (error: unknown) => boolean) => {
    try {
      await call();
      deps.readiness.record(name, { ok: true, at: deps.clock() });
    } catch (error) {
      const ok = answered(error);
      const problem = error instanceof Error ? error.message : String(error);
      if (!ok) deps.logger.warn(`Readiness check failed: ${name}`, { problem });
      deps.readiness.record(name, { ok, at: deps.clock(), ...(ok ? {} : { problem }) });
    }
  };
  await Promise.all([
    check("slack", deps.slack, () => false),
    check("aws", deps.aws, (error) => !describeAwsError(error).retryable),
  ]);
}
