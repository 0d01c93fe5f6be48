import { type CdnbotConfig, type DistributionConfig, TENANT_NAME } from "../config/config-schema.js";
import type { PolicyConfig } from "../config/policy-schema.js";
import { UserError } from "../errors.js";
import { quote } from "../text/plain-text.js";

/** One distribution the bot manages: the config file's, or an environment it made. */
export type ManagedDistribution = {
  /** What people type: the config's alias, or the environment's name. */
  alias: string;
  id: string;
  description?: string;
  policy?: PolicyConfig;
  /** The role to assume when it lives in another AWS account. */
  roleArn?: string;
  externalId?: string;
  /** Where requests from the HTTP API and MCP get their thread. */
  channel?: string;
  /** Set for an environment: the template it was made from. */
  template?: string;
  /** Policy overrides per tenant of a multi-tenant distribution, by the tenant's name. */
  tenantPolicies?: Record<string, PolicyConfig>;
};

/** An environment the bot made and has not deleted, as the directory needs to know it. */
export type LiveEnvironment = { name: string; distributionId: string; template: string; source: string };

/**
 * Every distribution the bot manages, in one place: the config file's, which never change while it
 * runs, and the environments it made, which live in the state (every replica knows them, a restart
 * keeps them) and are told to the directory as they come and go. A request resolves its
 * distribution here once; its account, role, policy and channel come with the answer. The parsed
 * config is read, never written.
 */
export class DistributionDirectory {
  private readonly fromFile: ReadonlyMap<string, ManagedDistribution>;
  private environments = new Map<string, ManagedDistribution>();

  constructor(private readonly config: CdnbotConfig) {
    this.fromFile = new Map(
      Object.entries(config.distributions).map(([alias, d]) => [alias, fileEntry(alias, d)]),
    );
  }

  /** The file's distributions first, in its order, then the environments. */
  list(): ManagedDistribution[] {
    return [...this.fromFile.values(), ...this.environments.values()];
  }

  /** By alias exactly as configured (or the environment's name). */
  get(alias: string): ManagedDistribution | undefined {
    return this.fromFile.get(alias) ?? this.environments.get(alias);
  }

  byId(distributionId: string): ManagedDistribution | undefined {
    return this.list().find((d) => d.id === distributionId);
  }

  /**
   * By alias (any case) or by id; anything else is refused, naming those the asker may use
   * (`mayName`: an API client sees its own, never the rest of the config).
   */
  resolve(nameOrId: string, mayName: (d: ManagedDistribution) => boolean = () => true): ManagedDistribution {
    const all = this.list();
    const found =
      all.find((d) => d.alias.toLowerCase() === nameOrId.toLowerCase()) ??
      all.find((d) => d.id === nameOrId.toUpperCase());
    if (found) return found;
    const known = all
      .filter(mayName)
      .map((d) => `${quote(d.alias)} (${d.id})`)
      .join(", ");
    throw new UserError(
      `${quote(nameOrId)} is not a distribution I know. ${known ? `I may act on: ${known}.` : "None of mine is open to you."} ` +
        "An operator can add more in the bot's config file.",
    );
  }

  /**
   * A purge's target: a distribution, or one tenant of a multi-tenant distribution written
   * `<distribution>/<tenant>` (the tenant is looked up at CloudFront later, by its name).
   */
  resolveTarget(
    target: string,
    mayName?: (d: ManagedDistribution) => boolean,
  ): { distribution: ManagedDistribution; tenant?: string } {
    const slash = target.indexOf("/");
    if (slash === -1) return { distribution: this.resolve(target, mayName) };
    const tenant = target.slice(slash + 1);
    if (!TENANT_NAME.test(tenant))
      throw new UserError(
        `${quote(target.slice(0, 140))} names no tenant: write \`<distribution>/<tenant>\`, e.g. \`saas/acme\`.`,
      );
    return { distribution: this.resolve(target.slice(0, slash), mayName), tenant };
  }

  /**
   * The policy a request follows: the distribution's own keys, and over them its tenant's where the
   * config names that tenant (a key the tenant leaves out is the distribution's).
   */
  policyOf(d: ManagedDistribution, tenant?: string): PolicyConfig | undefined {
    const forTenant = tenant === undefined ? undefined : d.tenantPolicies?.[tenant];
    return forTenant ? { ...d.policy, ...forTenant } : d.policy;
  }

  /** The role to assume for a distribution, by id: read when asked, so environments are found too. */
  roleOf(distributionId: string): { roleArn: string; externalId?: string } | undefined {
    const d = this.byId(distributionId);
    if (!d?.roleArn) return undefined;
    return { roleArn: d.roleArn, ...(d.externalId ? { externalId: d.externalId } : {}) };
  }

  /** The AWS account a distribution's calls count against: its role's, or the bot's own. */
  accountOf(distributionId: string): string {
    return this.byId(distributionId)?.roleArn?.split(":")[4] ?? "own";
  }

  /**
   * The environments now live, replacing those known before. Each is reached like its source (its
   * role, its policy) and threads in its template's channel, else its source's. A name the file
   * uses stays the file's.
   */
  setEnvironments(live: readonly LiveEnvironment[]): void {
    const next = new Map<string, ManagedDistribution>();
    for (const env of live) {
      if (this.fromFile.has(env.name)) continue;
      const source = this.fromFile.get(env.source);
      const channel = this.config.environments?.templates[env.template]?.channel ?? source?.channel;
      next.set(env.name, {
        alias: env.name,
        id: env.distributionId,
        description: `environment from template ${env.template}`,
        ...(source?.policy ? { policy: source.policy } : {}),
        ...(source?.roleArn ? { roleArn: source.roleArn } : {}),
        ...(source?.externalId ? { externalId: source.externalId } : {}),
        ...(channel ? { channel } : {}),
        template: env.template,
      });
    }
    this.environments = next;
  }
}

function fileEntry(alias: string, d: DistributionConfig): ManagedDistribution {
  return {
    alias,
    id: d.id,
    ...(d.description !== undefined ? { description: d.description } : {}),
    ...(d.policy ? { policy: d.policy } : {}),
    ...(d.roleArn ? { roleArn: d.roleArn } : {}),
    ...(d.externalId ? { externalId: d.externalId } : {}),
    ...(d.channel ? { channel: d.channel } : {}),
    ...(d.tenants
      ? {
          tenantPolicies: Object.fromEntries(Object.entries(d.tenants).map(([name, t]) => [name, t.policy])),
        }
      : {}),
  };
}
