import type { CdnbotConfig } from "../config/config-schema.js";
import type { Environment } from "../store/records.js";

/** Which of a config's distributions are environments, and from which template. */
const templatesByConfig = new WeakMap<CdnbotConfig, Map<string, string>>();

/** The template an environment was made from, when `alias` names an environment. */
export function environmentTemplateOf(config: CdnbotConfig, alias: string): string | undefined {
  return templatesByConfig.get(config)?.get(alias);
}

/** An environment is one of the bot's distributions from its create until its delete. */
export function isRegistered(env: Environment): boolean {
  return env.distributionId !== undefined && env.state !== "deleted" && env.state !== "failed";
}

/**
 * The bot's distributions are the config file's and the environments it made, which live in the
 * state (so every replica knows them, and a restart keeps them). Every part of the bot reads
 * `config.distributions`; this keeps the environments in it, each with its template's channel and
 * its source's policy and account. The file's own entries are never touched.
 */
export function createEnvironmentRegistry(config: CdnbotConfig): {
  sync(environments: readonly Environment[]): void;
} {
  const fileAliases = new Set(Object.keys(config.distributions));
  const templates = new Map<string, string>();
  templatesByConfig.set(config, templates);
  return {
    sync(environments) {
      const live = new Map<string, Environment>();
      for (const env of environments)
        if (isRegistered(env) && !fileAliases.has(env.name)) live.set(env.name, env);
      for (const alias of [...templates.keys()]) {
        if (live.has(alias)) continue;
        delete config.distributions[alias];
        templates.delete(alias);
      }
      for (const [alias, env] of live) {
        const template = config.environments?.templates[env.template];
        const source = config.distributions[env.source];
        const channel = template?.channel ?? source?.channel;
        config.distributions[alias] = {
          id: env.distributionId!,
          description: `environment from template ${env.template}`,
          ...(source?.policy ? { policy: source.policy } : {}),
          ...(source?.roleArn ? { roleArn: source.roleArn } : {}),
          ...(source?.externalId ? { externalId: source.externalId } : {}),
          ...(channel ? { channel } : {}),
        };
        templates.set(alias, env.template);
      }
    },
  };
}
