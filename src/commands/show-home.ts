import { type ApprovalDeps, pendingFor } from "../approvals/approval-service.js";
import { reviewsFor } from "../approvals/break-glass.js";
import { type HomeFacts, homeView } from "../messages/home-messages.js";
import type { SlackPoster } from "../slack/slack-poster.js";
import type { RecordStore } from "../store/record-store.js";
import type { Actor } from "../store/records.js";

export type HomeDeps = {
  records: RecordStore;
  approvals: ApprovalDeps;
  poster: Pick<SlackPoster, "permalink">;
  clock: () => number;
};

/** Gathers what one person's Home tab shows and draws it; `notice` heads it (the outcome of a click). */
export async function buildHome(deps: HomeDeps, viewer: Actor, notice?: string) {
  const [purges, changes, actionable, reviews, recent] = await Promise.all([
    deps.records.list("purge"),
    deps.records.list("change"),
    pendingFor(deps.approvals, viewer),
    reviewsFor(deps.approvals, viewer),
    deps.records.audit.query({ limit: 10 }),
  ]);
  const link = (channelId: string, ts: string | undefined) =>
    ts ? deps.poster.permalink(channelId, ts) : Promise.resolve(undefined);
  const inFlightPurges = purges
    .filter((p) => p.state === "requested" || p.state === "in-progress")
    .slice(-10);
  const inFlightChanges = changes
    .filter((c) => c.state === "writing" || c.state === "staged" || c.state === "deploying")
    .slice(-10);
  const facts: HomeFacts = {
    purges: await Promise.all(
      inFlightPurges.map(async (op) => ({ op, link: await link(op.channelId, op.messageTs) })),
    ),
    changes: await Promise.all(
      inFlightChanges.map(async (op) => ({ op, link: await link(op.channelId, op.messageTs) })),
    ),
    actionable: await Promise.all(
      actionable
        .slice(0, 10)
        .map(async (a) => ({ ...a, link: await link(a.request.channelId, a.request.messageTs) })),
    ),
    reviews: await Promise.all(
      reviews
        .slice(0, 10)
        .map(async (r) => ({ ...r, link: await link(r.review.channelId, r.review.messageTs) })),
    ),
    recent,
    at: deps.clock(),
  };
  return homeView(facts, notice);
}
