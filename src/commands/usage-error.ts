import { UserError } from "../errors.js";
import { quote } from "../text/plain-text.js";

export type Usage = { usage: string; summary: string; example: string };

/** A malformed command: the message says what is wrong, `word` names the command whose help to show. */
export class UsageError extends UserError {
  constructor(
    message: string,
    readonly word?: string,
  ) {
    super(message);
  }
}

export function usageLine(u: Usage): string {
  return `Usage: ${quote(u.usage)}, e.g. ${quote(u.example)}`;
}
