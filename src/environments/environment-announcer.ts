import type { Environment } from "../store/records.js";
import type { EnvironmentNote } from "./environment-machine.js";

/** What the environment workflow tells Slack; `src/slack/` implements it. */
export interface EnvironmentAnnouncer {
  /** The environment's own thread (when it needed no approval); returns the message's ts. */
  postParent(env: Environment): Promise<string>;
  /** A delete's thread (when it needed no approval); returns the message's ts. */
  postDeletion(env: Environment): Promise<string>;
  /** The environment's own message, redrawn with its state. */
  refreshParent(env: Environment): Promise<void>;
  reply(env: Environment, channelId: string, messageTs: string, note: EnvironmentNote): Promise<void>;
}
