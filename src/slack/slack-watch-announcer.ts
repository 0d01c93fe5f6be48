import type { Logger } from "../logger.js";
import { activityMessage, alertMessage, watchGreetingMessage } from "../messages/watch-messages.js";
import type { WatchAnnouncer } from "../watch/watch-announcer.js";
import type { SlackPoster } from "./slack-poster.js";

export function createSlackWatchAnnouncer(poster: SlackPoster, logger: Logger): WatchAnnouncer {
  return {
    async greet(watch, setUpBy) {
      await poster.post(watch.channelId, watchGreetingMessage(watch, setUpBy));
    },
    async activity(watchers, event) {
      // One permalink for every watching channel.
      const link = event.messageTs ? await poster.permalink(event.channelId, event.messageTs) : undefined;
      for (const watch of watchers) {
        try {
          await poster.post(watch.channelId, activityMessage(event, link));
        } catch (error) {
          logger.warn("Could not tell a watching channel", { channel: watch.channelId, error });
        }
      }
    },
    async alert(watch, metric, threshold, notice, points, marks) {
      await poster.post(watch.channelId, alertMessage(watch, metric, threshold, notice, points, marks));
    },
  };
}
