import type { RealtimeLogConfigInfo, RealtimeLogConfigInput } from "../aws/cloudfront-gateway.js";
import { awsError, SIMULATED_ACCOUNT } from "./simulated-aws-errors.js";

const clone = <T>(value: T): T => structuredClone(value);

/** Real-time log configs as CloudFront keeps them: by name, unique in the account, an ARN each. */
export class SimulatedRealtimeLogs {
  private readonly configs = new Map<string, RealtimeLogConfigInfo>();

  list(): RealtimeLogConfigInfo[] {
    return [...this.configs.values()].map(clone);
  }

  create(input: RealtimeLogConfigInput): RealtimeLogConfigInfo {
    if (this.configs.has(input.name))
      throw awsError(
        "RealtimeLogConfigAlreadyExists",
        "A real-time log configuration with this name already exists.",
        409,
      );
    const config = {
      ...clone(input),
      arn: `arn:aws:cloudfront::${SIMULATED_ACCOUNT}:realtime-log-config/${input.name}`,
    };
    this.configs.set(input.name, config);
    return clone(config);
  }

  update(input: RealtimeLogConfigInput): RealtimeLogConfigInfo {
    const existing = this.configs.get(input.name);
    if (!existing)
      throw awsError("NoSuchRealtimeLogConfig", "The real-time log configuration does not exist.", 404);
    const config = { ...clone(input), arn: existing.arn };
    this.configs.set(input.name, config);
    return clone(config);
  }

  /** What a previous run kept, in place of what is here. */
  restore(configs: readonly RealtimeLogConfigInfo[]): void {
    this.configs.clear();
    for (const c of configs) this.configs.set(c.name, clone(c));
  }
}
