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
