import type { AllMiddlewareArgs, App, SlackEventMiddlewareArgs } from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import { buildHome, type HomeDeps } from "../src/commands/show-home.js";
import type { Logger } from "../src/logger.js";
import type { Actor } from "../src/store/records.js";

type HomeOpenedArgs = SlackEventMiddlewareArgs<"app_home_opened"> & AllMiddlewareArgs;

export type AppHomeDeps = HomeDeps & { logger: Logger };

export function register(app: App, deps: AppHomeDeps): void {
  app.event("app_home_opened", handleHomeOpened(deps));
}

/** Draws the viewer's Home tab afresh each time they open it. */
export function handleHomeOpened(deps: AppHomeDeps) {
  return async function homeOpened({ event, body, client }: HomeOpenedArgs): Promise<void> {
    if (event.tab !== "home") return;
    const teamId = body.team_id;
    await publishHome(deps, client, { userId: event.user, teamId });
  };
}

/** Publishes one person's Home tab; `notice` heads it (what their last click did). */
export async function publishHome(deps: AppHomeDeps, client: WebClient, viewer: Actor, notice?: string) {
  try {
    await client.views.publish({ user_id: viewer.userId, view: await buildHome(deps, viewer, notice) });
  } catch (error) {
    deps.logger.warn("Could not publish the Home tab", { user: viewer.userId, error });
  }
}
