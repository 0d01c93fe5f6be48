import type { AccessLogGateway } from "./access-log-calls.js";
import { type AssumedRole, roleKey } from "./assumed-role.js";
import type { CloudFrontGateway } from "./cloudfront-gateway.js";
import type { CloudWatchGateway } from "./cloudwatch-gateway.js";

/** The role for a distribution, by id (read when called: environments come and go). */
export type RoleLookup = { roleOf(distributionId: string): AssumedRole | undefined };

/**
 * Distributions may live in other AWS accounts, reached by assuming a role there. A router gives
 * the gateway for a distribution: the one built with the bot's own credentials, or one per role,
 * built on first use and kept (its client caches and refreshes the role's credentials).
 */
export function routeByDistribution<G>(
  roles: RoleLookup,
  build: (role?: AssumedRole) => G,
): (distributionId?: string) => G {
  let own: G | undefined;
  const byRole = new Map<string, G>();
  return (distributionId) => {
    const role = distributionId === undefined ? undefined : roles.roleOf(distributionId);
    if (!role) {
      own ??= build();
      return own;
    }
    const key = roleKey(role);
    let gateway = byRole.get(key);
    if (!gateway) {
      gateway = build(role);
      byRole.set(key, gateway);
    }
    return gateway;
  };
}

/**
 * One CloudFront gateway over several accounts. Real-time log configs belong to an account, not a
 * distribution: `/cdn realtime-logs` manages the bot's own account's.
 */
export function routedCloudFrontGateway(
  gatewayFor: (distributionId?: string) => CloudFrontGateway,
): CloudFrontGateway {
  return {
    getDistribution: (id, like) => gatewayFor(like ?? id).getDistribution(id),
    getDistributionTags: (id) => gatewayFor(id).getDistributionTags(id),
    createInvalidation: (id, paths, ref) => gatewayFor(id).createInvalidation(id, paths, ref),
    getInvalidation: (id, invalidationId) => gatewayFor(id).getInvalidation(id, invalidationId),
    listInvalidations: (id, maxItems) => gatewayFor(id).listInvalidations(id, maxItems),
    getDistributionConfig: (id, like) => gatewayFor(like ?? id).getDistributionConfig(id),
    updateDistribution: (id, config, ifMatch, like) =>
      gatewayFor(like ?? id).updateDistribution(id, config, ifMatch),
    createDistribution: (config, like) => gatewayFor(like).createDistribution(config, like),
    listDistributions: (like) => gatewayFor(like).listDistributions(like),
    deleteDistribution: (id, ifMatch) => gatewayFor(id).deleteDistribution(id, ifMatch),
    listDistributionTenants: (id) => gatewayFor(id).listDistributionTenants(id),
    getDistributionTenant: (identifier, like) => gatewayFor(like).getDistributionTenant(identifier, like),
    getDistributionTenantByDomain: (domain, like) =>
      gatewayFor(like).getDistributionTenantByDomain(domain, like),
    createTenantInvalidation: (tenantId, paths, ref, like) =>
      gatewayFor(like).createTenantInvalidation(tenantId, paths, ref, like),
    getTenantInvalidation: (tenantId, invalidationId, like) =>
      gatewayFor(like).getTenantInvalidation(tenantId, invalidationId, like),
    getTenantDocument: (tenantId, like) => gatewayFor(like).getTenantDocument(tenantId, like),
    updateDistributionTenant: (tenantId, tenant, ifMatch, like) =>
      gatewayFor(like).updateDistributionTenant(tenantId, tenant, ifMatch, like),
    setTenantWebAcl: (tenantId, arn, ifMatch, like) =>
      gatewayFor(like).setTenantWebAcl(tenantId, arn, ifMatch, like),
    setDistributionWebAcl: (id, arn, ifMatch) => gatewayFor(id).setDistributionWebAcl(id, arn, ifMatch),
    getCachePolicyConfig: (id, like) => gatewayFor(like).getCachePolicyConfig(id, like),
    updateCachePolicy: (id, config, ifMatch, like) =>
      gatewayFor(like).updateCachePolicy(id, config, ifMatch, like),
    createCachePolicy: (config, like) => gatewayFor(like).createCachePolicy(config, like),
    findCustomCachePolicy: (name, like) => gatewayFor(like).findCustomCachePolicy(name, like),
    listManagedCachePolicyIds: (like) => gatewayFor(like).listManagedCachePolicyIds(like),
    listDistributionsByCachePolicy: (id, like) => gatewayFor(like).listDistributionsByCachePolicy(id, like),
    listResponseHeadersPolicies: (like) => gatewayFor(like).listResponseHeadersPolicies(like),
    getResponseHeadersPolicyConfig: (id, like) => gatewayFor(like).getResponseHeadersPolicyConfig(id, like),
    updateResponseHeadersPolicy: (id, config, ifMatch, like) =>
      gatewayFor(like).updateResponseHeadersPolicy(id, config, ifMatch, like),
    createResponseHeadersPolicy: (config, like) => gatewayFor(like).createResponseHeadersPolicy(config, like),
    listDistributionsByResponseHeadersPolicy: (id, like) =>
      gatewayFor(like).listDistributionsByResponseHeadersPolicy(id, like),
    // A staging copy lives in its primary's account.
    copyToStaging: (id, ref, ifMatch) => gatewayFor(id).copyToStaging(id, ref, ifMatch),
    getContinuousDeploymentPolicy: (policyId, primary) =>
      gatewayFor(primary).getContinuousDeploymentPolicy(policyId, primary),
    createContinuousDeploymentPolicy: (config, primary) =>
      gatewayFor(primary).createContinuousDeploymentPolicy(config, primary),
    updateContinuousDeploymentPolicy: (policyId, config, ifMatch, primary) =>
      gatewayFor(primary).updateContinuousDeploymentPolicy(policyId, config, ifMatch, primary),
    promoteStagingConfig: (id, stagingId, ifMatch) =>
      gatewayFor(id).promoteStagingConfig(id, stagingId, ifMatch),
    // Key-value stores are the config's, in the bot's own account.
    describeKeyValueStore: (arn) => gatewayFor().describeKeyValueStore(arn),
    getKey: (arn, key) => gatewayFor().getKey(arn, key),
    listKeys: (arn) => gatewayFor().listKeys(arn),
    updateKeys: (arn, puts, deletes, ifMatch) => gatewayFor().updateKeys(arn, puts, deletes, ifMatch),
    listRealtimeLogConfigs: () => gatewayFor().listRealtimeLogConfigs(),
    createRealtimeLogConfig: (input) => gatewayFor().createRealtimeLogConfig(input),
    updateRealtimeLogConfig: (input) => gatewayFor().updateRealtimeLogConfig(input),
  };
}

/** CloudFront publishes a distribution's metrics in the account that owns it. */
export function routedCloudWatchGateway(
  gatewayFor: (distributionId?: string) => CloudWatchGateway,
): CloudWatchGateway {
  return {
    getDistributionMetrics: (id, metrics, range, like) =>
      gatewayFor(like ?? id).getDistributionMetrics(id, metrics, range),
  };
}

/** A distribution's logs are read in its account: its bucket and its deliveries are there. */
export function routedAccessLogGateway(
  gatewayFor: (distributionId?: string) => AccessLogGateway,
): AccessLogGateway {
  return {
    listLogObjects: (bucket, listing, like) => gatewayFor(like).listLogObjects(bucket, listing),
    openLogObject: (bucket, key, like) => gatewayFor(like).openLogObject(bucket, key),
    listAccessLogDeliveries: (id, like) => gatewayFor(like ?? id).listAccessLogDeliveries(id),
    bucketOwnership: (bucket, like) => gatewayFor(like).bucketOwnership(bucket),
    createAccessLogDelivery: (input, like) => gatewayFor(like).createAccessLogDelivery(input),
    deleteAccessLogDelivery: (id, like) => gatewayFor(like).deleteAccessLogDelivery(id),
    queryLogGroup: (group, range, query, like) => gatewayFor(like).queryLogGroup(group, range, query),
    bucketAclGrants: (bucket, like) => gatewayFor(like).bucketAclGrants(bucket),
  };
}
