import type { CdnbotConfig } from "../config/config-schema.js";
import { type Env, EnvError, readConfigPath, readEnv } from "../config/env.js";
import { ConfigError, loadConfig } from "../config/load-config.js";

/** What the bot runs on, and every problem with it, as the first rows of the doctor's report. */
export type SettingsCheck = {
  env?: Env;
  config?: CdnbotConfig;
  rows: { check: "Config file" | "Environment"; ok: boolean; detail: string }[];
};

/**
 * The checks both `npm start` and `npm run doctor` run first, without the network: the config file
 * and the environment, each read whatever the other's state, so a person sees every problem of both
 * in one go rather than one per attempt (start once stopped at the tokens, the doctor at the config).
 */
export async function checkSettings(source: NodeJS.ProcessEnv): Promise<SettingsCheck> {
  const out: SettingsCheck = { rows: [] };
  try {
    out.config = await loadConfig(readConfigPath(source));
    const count = Object.keys(out.config.distributions).length;
    out.rows.push({ check: "Config file", ok: true, detail: `${count} distribution(s)` });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    out.rows.push({ check: "Config file", ok: false, detail: error.message });
  }
  try {
    out.env = readEnv(source);
    out.rows.push({ check: "Environment", ok: true, detail: "every required variable is set" });
  } catch (error) {
    if (!(error instanceof EnvError)) throw error;
    out.rows.push({ check: "Environment", ok: false, detail: error.message });
  }
  return out;
}

/** The settings start runs on; throws every problem at once, as one `SettingsError`. */
export async function requireSettings(
  source: NodeJS.ProcessEnv,
): Promise<{ env: Env; config: CdnbotConfig }> {
  const { env, config, rows } = await checkSettings(source);
  if (env && config) return { env, config };
  throw new SettingsError(rows.filter((r) => !r.ok).map((r) => r.detail));
}

/** The config or the environment (or both) is wrong: each problem, as the doctor words it. */
export class SettingsError extends Error {
  override readonly name = "SettingsError";
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
  }
}
