/**
 * Text the domain writes (errors, notes, summaries) is plain text: it may quote what a person or AWS
 * wrote, and it is escaped once, by the message builders, when it is shown in Slack.
 */

/** Quotes a value in backticks inside a plain-text sentence; a backtick inside would end the span. */
export function quote(value: string): string {
  return `\`${value.replace(/`/g, "ˋ")}\``;
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count.toLocaleString("en-US")} ${count === 1 ? one : many}`;
}
