import type { FieldDiff } from "../store/change-spec.js";
import { quote, shorten } from "../text/plain-text.js";
import { logBucketName } from "./plan-change.js";

// How a change reads as plain text (previews, summaries, errors); the message builders escape it.

const GEO_WORDS: Record<string, string> = { whitelist: "allow only", blacklist: "block" };

/** A field's value as plain text (escape it to show it). */
export function formatFieldValue(value: unknown): string {
  if (value === undefined || value === null || value === "") return "(none)";
  if (typeof value === "object") {
    const tags = (value as { HeaderName?: unknown }).HeaderName;
    if (typeof tags === "string") return tags;
    // Security headers, as the header they send.
    const h = value as {
      AccessControlMaxAgeSec?: number;
      IncludeSubdomains?: boolean;
      Preload?: boolean;
      ContentSecurityPolicy?: string;
      FrameOption?: string;
      Items?: { Header?: string; Value?: string }[];
    };
    if (h.AccessControlMaxAgeSec !== undefined)
      return `max-age=${h.AccessControlMaxAgeSec}${h.IncludeSubdomains ? "; includeSubDomains" : ""}${h.Preload ? "; preload" : ""}`;
    if (h.ContentSecurityPolicy !== undefined) return h.ContentSecurityPolicy;
    if (h.FrameOption !== undefined) return h.FrameOption;
    if (Array.isArray(h.Items) && h.Items.some((i) => i.Header !== undefined))
      return h.Items.map((i) => `${i.Header}: ${i.Value}`).join(", ");
    const o = value as {
      RestrictionType?: string;
      Items?: string[];
      Enabled?: boolean;
      Bucket?: string;
      Prefix?: string;
    };
    if ("Bucket" in o)
      return o.Enabled ? `on, to ${logBucketName(o.Bucket)}${o.Prefix ? `/${o.Prefix}` : ""}` : "off";
    if (o.RestrictionType)
      return o.RestrictionType === "none"
        ? "none"
        : `${GEO_WORDS[o.RestrictionType] ?? o.RestrictionType} ${(o.Items ?? []).join(", ")}`;
    return JSON.stringify(value);
  }
  if (typeof value === "boolean") return value ? "yes" : "no";
  return String(value);
}

/**
 * A field's value in a diff line, always on one line: a string a person or AWS wrote (a comment, a
 * root object, an ARN) in a code span, so Slack can never render it as formatting that passes for
 * the bot's own (bold, a quote, an emoji); what the bot words itself (yes, none, block IR) plain.
 */
export function shownValue(value: unknown): string {
  const formatted = formatFieldValue(value);
  if (typeof value === "string" && value !== "") return quote(shortened(formatted));
  return formatted.replace(/\r\n|[\r\n\u2028\u2029\u0085]/g, " ⏎ ");
}

/** The most characters of one value a diff line shows (a key-value store's value is up to 1 KB). */
const MAX_SHOWN = 200;
/** The most fields a preview lists (a key-value store's change may set 50 keys). */
const MAX_LINES = 12;

function shortened(text: string): string {
  const cut = shorten(text, MAX_SHOWN);
  return cut === text ? text : `${cut} (${[...text].length} characters)`;
}

/** Before → after of each field, as plain text (escape it to show it); a long list ends with a count. */
export function diffLines(diffs: FieldDiff[]): string[] {
  const lines = diffs
    .slice(0, MAX_LINES)
    .map((d) => `${shortened(d.label)}: ${shownValue(d.before)} → ${shownValue(d.after)}`);
  return diffs.length > MAX_LINES ? [...lines, `and ${diffs.length - MAX_LINES} more`] : lines;
}

/** Plain text, for a UserError. */
export function changeNothingMessage(alias: string): string {
  return `This changes nothing: ${quote(alias)} already has these settings. Nothing was sent.`;
}
