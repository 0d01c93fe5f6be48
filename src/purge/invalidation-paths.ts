import { UserError } from "../errors.js";
import { formatCount, quote } from "../text/plain-text.js";

/** CloudFront's documented limits on invalidation paths. */
export const CLOUDFRONT_PATH_LIMITS = {
  maxPathsPerInvalidation: 3000,
  maxFilePathsInFlight: 3000,
  maxWildcardPathsInFlight: 15,
  maxPathLength: 4000,
  /** A cache tag's most characters (after its `#`). */
  maxTagLength: 256,
} as const;

export type PathNote = {
  input: string;
  path: string;
  reason: "url-converted" | "encoded" | "duplicate-dropped" | "covered-by-wildcard";
};

/**
 * The items of one invalidation: paths, and cache tags as CloudFront takes them (`#name`). A tag
 * counts as a file path against the in-flight quota (AWS documents no quota of its own for tags)
 * and as one path on the bill (as AWS documents).
 */
export type PathPlan = {
  paths: string[];
  notes: PathNote[];
  wildcardCount: number;
  fileCount: number;
  tagCount: number;
};

export type DistributionHosts = { domainName?: string; aliases?: string[] };

export function isWildcard(path: string): boolean {
  return path.endsWith("*") && !isTag(path);
}

/** A cache-tag item (`#product-42`): it invalidates every object its origin tagged so. */
export function isTag(item: string): boolean {
  return item.startsWith("#");
}

/** A tag as people type it in Slack (`tag:sale`, since Slack makes `#sale` a channel) or the API (`#sale`). */
const TAG_INPUT = /^(?:tag:|#)(.*)$/is;

/**
 * One cache tag, as CloudFront takes it: `#` and the tag, lower-cased (tags are case-insensitive),
 * visible ASCII but commas, at most 256 characters, never a wildcard; throws a UserError naming it.
 */
export function normalizeTag(input: string): string {
  const tag = TAG_INPUT.exec(input.trim())?.[1] ?? "";
  const shown = quote(input.trim().slice(0, 60));
  if (tag === "") throw new UserError(`${shown} names no tag: write \`tag:product-42\`.`);
  if (tag.includes("*"))
    throw new UserError(
      `${shown} is not a valid tag: CloudFront matches tags exactly, with no \`*\` wildcard.`,
    );
  if (tag.length > CLOUDFRONT_PATH_LIMITS.maxTagLength)
    throw new UserError(
      `${shown}… is longer than CloudFront's ${CLOUDFRONT_PATH_LIMITS.maxTagLength} characters for a tag.`,
    );
  if (!/^[!-+\--~]+$/.test(tag))
    throw new UserError(
      `${shown} is not a valid tag: a tag is visible ASCII characters without spaces or commas.`,
    );
  return `#${tag.toLowerCase()}`;
}

/** `/img/*` covers `/img/a.png`; `/img*` covers `/images/a`; a path never covers itself. */
export function isCoveredBy(path: string, wildcard: string): boolean {
  if (!isWildcard(wildcard) || path === wildcard) return false;
  return path.startsWith(wildcard.slice(0, -1));
}

/** Drops duplicates and paths a wildcard in the same set covers, keeping first-seen order. */
export function coalescePaths(paths: string[]): {
  paths: string[];
  dropped: { path: string; coveredBy: string }[];
} {
  const unique = [...new Set(paths)];
  const wildcards = unique.filter(isWildcard);
  const kept: string[] = [];
  const dropped: { path: string; coveredBy: string }[] = [];
  for (const path of unique) {
    const cover = wildcards.find((w) => isCoveredBy(path, w));
    if (cover) dropped.push({ path, coveredBy: cover });
    else kept.push(path);
  }
  return { paths: kept, dropped };
}

/** AWS bills each path in an invalidation, a wildcard path as one. */
export function countBilledPaths(paths: string[]): number {
  return paths.length;
}

export function summarizePaths(paths: string[], max = 10): string {
  if (paths.length <= max) return paths.join(", ");
  return `${paths.slice(0, max).join(", ")} and ${paths.length - max} more`;
}

// CloudFront asks for non-ASCII characters and RFC 1738's unsafe characters to be URL-encoded, and
// for nothing else to be. `%` that starts a valid escape is the user's own encoding and is kept.
const UNSAFE = /[\s<>"#{}|\\^~[\]`]|[^ -~]|%(?![0-9A-Fa-f]{2})/gu;

function percentEncode(ch: string): string {
  const codePoint = ch.codePointAt(0) ?? 0;
  // encodeURIComponent leaves `~` alone, so ASCII is encoded by hand.
  return codePoint < 0x80
    ? `%${codePoint.toString(16).toUpperCase().padStart(2, "0")}`
    : encodeURIComponent(ch);
}

function encodePath(path: string): string {
  return path.replace(UNSAFE, percentEncode);
}

function urlToPath(input: string, hosts: DistributionHosts): { path: string; note: PathNote } {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new UserError(`${quote(input)} is not a valid URL.`);
  }
  const allowed = [hosts.domainName, ...(hosts.aliases ?? [])].filter((h): h is string => Boolean(h));
  const host = url.hostname.toLowerCase();
  if (!allowed.some((h) => h.toLowerCase() === host)) {
    const list = allowed.length > 0 ? allowed.map(quote).join(", ") : "none known";
    throw new UserError(
      `${quote(input)} is on ${quote(url.hostname)}, which is not this distribution's domain or one of its aliases (${list}).`,
    );
  }
  // Keep the path exactly as given: URL() would re-encode it differently from what was typed.
  const afterHost = input.replace(/^https?:\/\/[^/?#]*/i, "").replace(/#.*$/, "");
  const path = afterHost.startsWith("/") ? afterHost : `/${afterHost}`;
  return { path, note: { input, path, reason: "url-converted" } };
}

/** Validates and normalizes one path; throws a UserError that names the input. */
export function normalizePath(input: string, hosts: DistributionHosts): { path: string; notes: PathNote[] } {
  const trimmed = input.trim();
  if (TAG_INPUT.test(trimmed)) return { path: normalizeTag(trimmed), notes: [] };
  const notes: PathNote[] = [];
  let path = trimmed;
  if (/^https?:\/\//i.test(trimmed)) {
    const converted = urlToPath(trimmed, hosts);
    path = converted.path;
    notes.push(converted.note);
  }
  if (/\p{Cc}/u.test(path)) throw new UserError(`${quote(input)} contains control characters.`);
  // Half of a UTF-16 pair on its own is no character at all: it cannot be URL-encoded, or sent.
  if (!path.isWellFormed())
    throw new UserError(
      `${quote(input.toWellFormed())} contains an invalid character (a lone UTF-16 surrogate).`,
    );
  if (!path.startsWith("/")) {
    throw new UserError(
      `${quote(input)} is not a valid path: paths start with \`/\`, e.g. ${quote(`/${path}`)}.`,
    );
  }
  const star = path.indexOf("*");
  if (star !== -1 && star !== path.length - 1) {
    throw new UserError(`${quote(input)} is not a valid path: a \`*\` may only end a path, e.g. \`/img/*\`.`);
  }
  const encoded = encodePath(path);
  if (encoded !== path) notes.push({ input, path: encoded, reason: "encoded" });
  if (encoded.length > CLOUDFRONT_PATH_LIMITS.maxPathLength) {
    throw new UserError(
      `${quote(input.slice(0, 60))}… is longer than CloudFront's ${formatCount(CLOUDFRONT_PATH_LIMITS.maxPathLength)} characters.`,
    );
  }
  return { path: encoded, notes };
}

/**
 * Turns what a person typed into the paths of one invalidation, or refuses with every problem at
 * once. Nothing here talks to AWS: the checks run before anything is sent.
 */
export function planPaths(inputs: string[], hosts: DistributionHosts): PathPlan {
  const given = inputs.map((i) => i.trim()).filter((i) => i.length > 0);
  if (given.length === 0)
    throw new UserError(
      "Give at least one path or tag to purge, e.g. `/index.html`, `/img/*` or `tag:product-42`.",
    );

  const problems: string[] = [];
  const notes: PathNote[] = [];
  const normalized: { input: string; path: string }[] = [];
  for (const input of given) {
    try {
      const result = normalizePath(input, hosts);
      normalized.push({ input, path: result.path });
      notes.push(...result.notes);
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      problems.push(error.message);
    }
  }
  if (problems.length > 0) {
    const head = problems.length === 1 ? "" : `${problems.length} paths are invalid:\n`;
    throw new UserError(
      `${head}${problems.map((p) => (problems.length === 1 ? p : `• ${p}`)).join("\n")}\nNothing was purged.`,
    );
  }

  const seen = new Set<string>();
  for (const { input, path } of normalized) {
    if (seen.has(path)) notes.push({ input, path, reason: "duplicate-dropped" });
    seen.add(path);
  }
  const { paths, dropped } = coalescePaths(normalized.map((n) => n.path));
  for (const d of dropped) notes.push({ input: d.path, path: d.coveredBy, reason: "covered-by-wildcard" });

  const limits = CLOUDFRONT_PATH_LIMITS;
  if (paths.length > limits.maxPathsPerInvalidation) {
    throw new UserError(
      `CloudFront accepts at most ${formatCount(limits.maxPathsPerInvalidation)} paths in one invalidation; you gave ${formatCount(paths.length)}. Use a wildcard such as \`/img/*\`, or split the purge.`,
    );
  }
  const wildcardCount = paths.filter(isWildcard).length;
  const tagCount = paths.filter(isTag).length;
  if (wildcardCount > limits.maxWildcardPathsInFlight) {
    throw new UserError(
      `CloudFront allows at most ${limits.maxWildcardPathsInFlight} wildcard paths in progress per distribution; this purge has ${wildcardCount}. Use a broader wildcard such as \`/static/*\`, or split the purge.`,
    );
  }
  const uniqueNotes = notes.filter(
    (n, i) =>
      notes.findIndex((m) => m.input === n.input && m.reason === n.reason) === i ||
      n.reason === "duplicate-dropped",
  );
  return {
    paths,
    notes: uniqueNotes,
    wildcardCount,
    tagCount,
    fileCount: paths.length - wildcardCount - tagCount,
  };
}
