import { UserError } from "../errors.js";
import { code } from "../messages/format.js";

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
  return `Usage: ${code(u.usage)}, e.g. ${code(u.example)}`;
}
