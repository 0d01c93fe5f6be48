export class UserError extends Error {
  override readonly name = "UserError";
  constructor(message: string) {
    super(message);
  }
}

/** The bot cannot start; the message is one sentence naming what to fix. */
export class StartupError extends Error {
  override readonly name = "StartupError";
}

/**
 * Slack refused a post because the bot is not in the channel (or it is archived or gone). It
 * carries the channel so the reply can name it, and what was not done because of it, which only the
 * caller knows (a purge sent nothing to AWS; a watch was not set up).
 */
export class NotInChannelError extends UserError {
  constructor(
    readonly slackError: string,
    readonly channelId: string,
    readonly consequence = "",
  ) {
    super(
      (slackError === "is_archived"
        ? "That channel is archived, so I cannot post there. Use another channel."
        : "I'm not a member of that channel, so I cannot post there. Invite me with /invite @cdnbot and try again.") +
        (consequence ? ` ${consequence}` : ""),
    );
  }

  /** The same refusal, saying what was not done because of it. */
  because(consequence: string): NotInChannelError {
    return new NotInChannelError(this.slackError, this.channelId, consequence);
  }

  get archived(): boolean {
    return this.slackError === "is_archived";
  }
}
