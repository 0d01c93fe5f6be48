import { isIP } from "node:net";
import type { DistributionConfig } from "../aws/cloudfront-gateway.js";
import { type CdnbotConfig, type EnvironmentTemplate, HOSTNAME } from "../config/config-schema.js";
import { UserError } from "../errors.js";
import { quote } from "../text/plain-text.js";

const NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** CloudFront's limit on a distribution's comment. */
const MAX_COMMENT = 128;

export type EnvironmentPlan = {
  name: string;
  template: string;
  source: string;
  originDomain: string;
  aliasHost?: string;
};

/** A host as typed: Slack may have turned it into a link (`https://host/`), which is taken back. */
export function typedHost(raw: string): string {
  return raw
    .trim()
    .toLowerCase()
    .replace(/^https?:\/\//, "")
    .replace(/\/$/, "");
}

export function findTemplate(config: CdnbotConfig, name: string): EnvironmentTemplate {
  const templates = config.environments?.templates ?? {};
  const template = templates[name];
  if (template) return template;
  const known = Object.keys(templates);
  throw new UserError(
    known.length > 0
      ? `There is no environment template ${quote(name)}. The config has: ${known.map(quote).join(", ")}.`
      : "No environment templates are set up: an operator adds them under `environments.templates` in the bot's config file.",
  );
}

/**
 * Checks what `/cdn env create` was given against the template and the bot's distributions: a name
 * free to use, an origin host, an alias under the template's domain (its certificate covers only that).
 */
export function planEnvironment(
  config: CdnbotConfig,
  input: { template: string; name: string; origin: string; alias?: string },
  /** The names the bot's distributions go by now (the file's, and environments made). */
  aliases: readonly string[] = Object.keys(config.distributions),
): EnvironmentPlan {
  const template = findTemplate(config, input.template);
  const name = input.name.toLowerCase();
  if (!NAME.test(name))
    throw new UserError(
      `${quote(input.name)} cannot name an environment: 1–40 lower-case letters, digits or \`-\`, starting with a letter or digit.`,
    );
  const taken = aliases.find((alias) => alias.toLowerCase() === name);
  if (taken || config.environments?.templates[name])
    throw new UserError(
      `${quote(name)} is already the name of one of my distributions or templates; pick another.`,
    );
  const originDomain = typedHost(input.origin);
  // CloudFront refuses an IP address as an origin; an address such as 169.254.169.254 must not
  // even reach the request.
  if (isIP(originDomain.replace(/^\[|\]$/g, "")) !== 0)
    throw new UserError(
      `${quote(input.origin)} is an IP address; CloudFront origins are host names, such as app-pr-42.example.com.`,
    );
  if (!HOSTNAME.test(originDomain))
    throw new UserError(
      `${quote(input.origin)} is not a host name; \`origin=\` takes one such as app-pr-42.example.com.`,
    );
  let aliasHost: string | undefined;
  if (input.alias !== undefined) {
    if (!template.aliasDomain)
      throw new UserError(
        `Template ${quote(input.template)} has no certificate for aliases, so its environments are reached at their CloudFront domain only; leave out \`alias=\` (or an operator sets \`aliasDomain\` and \`certificateArn\` on it).`,
      );
    aliasHost = typedHost(input.alias);
    const suffix = `.${template.aliasDomain.toLowerCase()}`;
    const label = aliasHost.endsWith(suffix) ? aliasHost.slice(0, -suffix.length) : "";
    if (!LABEL.test(label))
      throw new UserError(
        `${quote(input.alias)} is not directly under ${quote(template.aliasDomain)}, the only domain template ${quote(input.template)}'s certificate covers (e.g. ${quote(`${name}.${template.aliasDomain}`)}).`,
      );
  }
  return {
    name,
    template: input.template,
    source: template.from,
    originDomain,
    ...(aliasHost ? { aliasHost } : {}),
  };
}

/** The comment that marks a distribution as this environment's: how it is found after a crash. */
export function environmentComment(envId: string, name: string): string {
  return `cdnbot environment ${name} (${envId})`.slice(0, MAX_COMMENT);
}

/** The id the comment names, if it is an environment's. */
export function environmentIdInComment(comment: string): string | undefined {
  return /^cdnbot environment \S+ \(([^)]+)\)$/.exec(comment)?.[1];
}

/**
 * The new distribution's config: the source's, with the environment's origin, alias and certificate,
 * its own CallerReference and comment, and nothing that belongs to the source alone (its log
 * bucket, a staging or continuous-deployment link). Pure.
 */
export function environmentConfig(
  source: DistributionConfig,
  template: EnvironmentTemplate,
  env: { id: string; name: string; originDomain: string; aliasHost?: string },
): DistributionConfig {
  const config = structuredClone(source);
  const targetId = config.DefaultCacheBehavior?.TargetOriginId;
  const origins = config.Origins?.Items ?? [];
  const origin = origins.find((o) => o.Id === targetId) ?? origins[0];
  if (!origin) throw new UserError("The template's distribution has no origin to copy.");
  origin.DomainName = env.originDomain;
  if (origin.S3OriginConfig && !/\.s3[.-]/.test(env.originDomain)) {
    // A host that is not a bucket is a custom origin, reached over HTTPS.
    delete origin.S3OriginConfig;
    origin.OriginAccessControlId = "";
    origin.CustomOriginConfig = {
      HTTPPort: 80,
      HTTPSPort: 443,
      OriginProtocolPolicy: "https-only",
      OriginSslProtocols: { Quantity: 1, Items: ["TLSv1.2"] },
      OriginReadTimeout: 30,
      OriginKeepaliveTimeout: 5,
    };
  }
  config.CallerReference = env.id;
  config.Comment = environmentComment(env.id, env.name);
  config.Enabled = true;
  config.Aliases = env.aliasHost ? { Quantity: 1, Items: [env.aliasHost] } : { Quantity: 0, Items: [] };
  config.ViewerCertificate =
    env.aliasHost && template.certificateArn
      ? {
          ACMCertificateArn: template.certificateArn,
          SSLSupportMethod: "sni-only",
          MinimumProtocolVersion: "TLSv1.2_2021",
          CloudFrontDefaultCertificate: false,
        }
      : { CloudFrontDefaultCertificate: true, MinimumProtocolVersion: "TLSv1" };
  config.Logging = { Enabled: false, IncludeCookies: false, Bucket: "", Prefix: "" };
  delete config.ContinuousDeploymentPolicyId;
  config.Staging = false;
  return config;
}
