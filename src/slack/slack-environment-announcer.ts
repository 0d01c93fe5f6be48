import type { EnvironmentAnnouncer } from "../environments/environment-announcer.js";
import {
  environmentDeletionMessage,
  environmentNoteText,
  environmentParentMessage,
} from "../messages/environment-messages.js";
import { literalMessage } from "../messages/format.js";
import type { SlackPoster } from "./slack-poster.js";

export function createSlackEnvironmentAnnouncer(poster: SlackPoster): EnvironmentAnnouncer {
  return {
    async postParent(env) {
      return (await poster.post(env.channelId, environmentParentMessage(env))).ts;
    },
    async postDeletion(env) {
      const channelId = env.deletion?.channelId ?? env.channelId;
      return (await poster.post(channelId, environmentDeletionMessage(env))).ts;
    },
    async refreshParent(env) {
      if (env.messageTs) await poster.update(env.channelId, env.messageTs, environmentParentMessage(env));
    },
    async reply(env, channelId, messageTs, note) {
      await poster.post(channelId, literalMessage(environmentNoteText(env, note)), messageTs);
    },
  };
}
