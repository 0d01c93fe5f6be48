/**
 * Slack sends what a person typed with `&`, `<` and `>` escaped as entities, and its own markup for
 * what the person picked: `<@U…|name>`, `<#C…|name>`, `<!channel>`, `<!subteam^S…|@team>`,
 * `<https://…|label>`. Decoded once, here, so what reaches AWS is exactly what was typed.
 */

const MARKUP = /<([^<>]*)>/g;

function decodeEntities(text: string): string {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

type Mode = "argument" | "free-text";

/**
 * In an argument a channel stays its id (`#C123`) and a link its URL, as commands need them; in free
 * text (a comment, a reason) each becomes what the person saw when they typed it.
 */
function decodeMarkup(inner: string, mode: Mode): string {
  const [target = "", label] = inner.split("|", 2) as [string, string | undefined];
  if (target.startsWith("@")) return label ? `@${label.replace(/^@/, "")}` : target;
  if (target.startsWith("#")) return mode === "argument" || !label ? target : `#${label}`;
  if (target.startsWith("!subteam^")) return label ?? `@${target.slice("!subteam^".length)}`;
  if (target.startsWith("!date^")) return label ?? "";
  if (target.startsWith("!")) return `@${target.slice(1)}`;
  if (mode === "argument" || !label) return target;
  // A link: what was typed. Slack turns a typed `example.net` into `<http://example.net|example.net>`
  // (the label is what was typed); a label over another address keeps both, or the address is lost.
  return label === target.replace(/^[a-z]+:(\/\/)?/i, "") ? label : `${label} (${target})`;
}

export function decodeSlackText(text: string, mode: Mode = "free-text"): string {
  // Markup first: its angle brackets are real, whereas typed ones arrive as entities.
  return decodeEntities(text.replace(MARKUP, (_, inner: string) => decodeMarkup(inner, mode)));
}

// A token is a run of non-space characters, where Slack's markup counts as one piece even with spaces.
const TOKEN = /(?:<[^<>]*>|[^\s<]|<(?![^<>]*>))+/g;

/** The words of a command as typed, each decoded as an argument. */
export function tokenize(text: string): string[] {
  return (text.match(TOKEN) ?? []).map((t) => decodeSlackText(t, "argument"));
}

/** What follows the first `count` words, as typed (spaces kept), decoded as free text. */
export function textAfterWords(text: string, count: number): string {
  let rest = text.trimStart();
  for (let i = 0; i < count; i++) {
    const match = /^(?:<[^<>]*>|[^\s<]|<(?![^<>]*>))+\s*/.exec(rest);
    if (!match) return "";
    rest = rest.slice(match[0].length);
  }
  return decodeSlackText(rest.trim());
}
