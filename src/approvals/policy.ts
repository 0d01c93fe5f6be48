import {
  type IacManaged,
  POLICY_DEFAULTS,
  type PolicyAction,
  type PolicyConfig,
  type Principals,
} from "../config/policy-schema.js";
import { clientOf } from "../store/actors.js";

export type EffectivePolicy = {
  requesters?: Principals & { channels: string[]; clients?: string[] };
  approvers?: Principals;
  requireApprovalFor: PolicyAction[];
  approvalsRequired: number;
  expiresAfterMs: number;
  iacManaged: IacManaged;
  /** Approvals are confirmed in a window showing the preview; a button click alone opens it. */
  stepUp: boolean;
  /** Who may break glass (run a change that needs approval at once, with a reason); unset: nobody. */
  breakGlass?: Principals;
};

/** A distribution's policy: its own keys (`own`) over the config's defaults, over the built-in ones. */
export function effectivePolicy(
  defaults: PolicyConfig | undefined,
  distribution: PolicyConfig | undefined,
): EffectivePolicy {
  const base = defaults ?? {};
  const own = distribution ?? {};
  const requesters = own.requesters ?? base.requesters;
  const approvers = own.approvers ?? base.approvers;
  const breakGlass = own.breakGlass ?? base.breakGlass;
  return {
    ...(requesters ? { requesters } : {}),
    ...(approvers ? { approvers } : {}),
    ...(breakGlass ? { breakGlass } : {}),
    iacManaged: own.iacManaged ?? base.iacManaged ?? POLICY_DEFAULTS.iacManaged,
    stepUp: own.stepUp ?? base.stepUp ?? POLICY_DEFAULTS.stepUp,
    requireApprovalFor:
      own.requireApprovalFor ?? base.requireApprovalFor ?? POLICY_DEFAULTS.requireApprovalFor,
    approvalsRequired: own.approvalsRequired ?? base.approvalsRequired ?? POLICY_DEFAULTS.approvalsRequired,
    expiresAfterMs: own.expiresAfter ?? base.expiresAfter ?? POLICY_DEFAULTS.expiresAfterMs,
  };
}

/**
 * What a purge asks for, as far as policy is concerned: each kind of item it holds (a wildcard, a
 * cache tag), or a plain purge. The first names it.
 */
export function purgeActions(paths: string[]): [PolicyAction, ...PolicyAction[]] {
  const actions: PolicyAction[] = [];
  if (paths.some((p) => p.endsWith("*") && !p.startsWith("#"))) actions.push("wildcard-purge");
  if (paths.some((p) => p.startsWith("#"))) actions.push("tag-purge");
  return actions.length > 0 ? (actions as [PolicyAction, ...PolicyAction[]]) : ["purge"];
}

/** Group members, looked up only when a rule names groups. */
export type GroupLookup = (groupId: string) => Promise<string[]>;

export async function isAmong(
  principals: Principals,
  userId: string,
  membersOf: GroupLookup,
): Promise<boolean> {
  if (principals.users.includes(userId)) return true;
  for (const group of principals.groups) {
    if ((await membersOf(group)).includes(userId)) return true;
  }
  return false;
}

export type Decision = { allowed: true } | { allowed: false; reason: string };

export async function mayRequest(
  policy: EffectivePolicy,
  who: { userId: string; channelId: string },
  membersOf: GroupLookup,
): Promise<Decision> {
  const rule = policy.requesters;
  if (!rule) return { allowed: true };
  if (rule.channels.length > 0 && !rule.channels.includes(who.channelId)) {
    return {
      allowed: false,
      reason: `requests for it are only taken in the channels the policy names (${rule.channels.join(", ")})`,
    };
  }
  const clients = rule.clients ?? [];
  const anyone = rule.users.length === 0 && rule.groups.length === 0 && clients.length === 0;
  const client = clientOf(who.userId);
  const listed = client ? clients.includes(client.name) : await isAmong(rule, who.userId, membersOf);
  if (!anyone && !listed) {
    return { allowed: false, reason: `only ${describePrincipals({ ...rule, clients })} may ask for it` };
  }
  return { allowed: true };
}

export function needsApproval(policy: EffectivePolicy, action: PolicyAction): boolean {
  return policy.requireApprovalFor.includes(action);
}

export async function mayApprove(
  policy: EffectivePolicy,
  request: { requestedBy: { userId: string } },
  userId: string,
  membersOf: GroupLookup,
): Promise<Decision> {
  // Pipelines and agents ask; only people approve.
  if (clientOf(userId)) return { allowed: false, reason: "Only people approve requests." };
  if (request.requestedBy.userId === userId) {
    return { allowed: false, reason: "You asked for this, so you cannot approve it: a second person must." };
  }
  const rule = policy.approvers;
  if (rule && !(await isAmong(rule, userId, membersOf))) {
    return {
      allowed: false,
      reason: `You are not an approver for this: only ${describePrincipals(rule)} may approve.`,
    };
  }
  return { allowed: true };
}

/** Plain text: the ids as the config names them (they are shown escaped, never as mentions). */
export function describePrincipals(p: Principals & { clients?: string[] }): string {
  const clients = p.clients ?? [];
  const parts = [
    ...(clients.length > 0
      ? [`${clients.length === 1 ? "API client" : "API clients"} ${clients.join(", ")}`]
      : []),
    ...(p.users.length > 0 ? [`${p.users.length === 1 ? "user" : "users"} ${p.users.join(", ")}`] : []),
    ...(p.groups.length > 0
      ? [`members of ${p.groups.length === 1 ? "user group" : "user groups"} ${p.groups.join(", ")}`]
      : []),
  ];
  return parts.length > 0 ? parts.join(" and ") : "nobody";
}
