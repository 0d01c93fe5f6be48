/**
 * Text the domain writes (errors, notes, summaries) is plain text: it may quote what a person or AWS
 * wrote, and it is escaped once, by the message builders, when it is shown in Slack.
 */

/**
 * Quotes a value in backticks inside a plain-text sentence, on one line: a backtick inside would
 * end the span, and a line break would let what follows pass for the bot's own words.
 */
export function quote(value: string): string {
  return `\`${value.replace(/`/g, "ˋ").replace(/\r\n|[\r\n\u2028\u2029\u0085]/g, " ⏎ ")}\``;
}

// One formatter for the process: `toLocaleString` builds a new one per call, which showed in the
// ack path's profile under a burst. Built at first use: building it loads ICU's data, 10 ms of
// start-up otherwise.
let numbers: Intl.NumberFormat | undefined;

/** A count as people read it: 1,000 rather than 1000. */
export function formatCount(count: number): string {
  numbers ??= new Intl.NumberFormat("en-US", { maximumFractionDigits: 3 });
  return numbers.format(count);
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${formatCount(count)} ${count === 1 ? one : many}`;
}

/** At most `max` characters (whole code points) of a text, with `…` where it was cut. */
export function shorten(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max).join("")}…`;
}

/** A moment as its UTC hour and minute, `14:05`: the time axis of charts and summaries. */
export function utcHourMinute(at: number): string {
  return new Date(at).toISOString().slice(11, 16);
}
