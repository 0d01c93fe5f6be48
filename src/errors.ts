export class UserError extends Error {
  override readonly name = "UserError";
  constructor(message: string) {
    super(message);
  }
}
