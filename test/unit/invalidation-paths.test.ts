import { describe, expect, it } from "vitest";
import { UserError } from "../../src/errors.js";
import {
  coalescePaths,
  countBilledPaths,
  isCoveredBy,
  planPaths,
  summarizePaths,
} from "../../src/purge/invalidation-paths.js";

const hosts = { domainName: "d111111abcdef8.cloudfront.net", aliases: ["www.example.com"] };

function refusal(inputs: string[]): string {
  try {
    planPaths(inputs, hosts);
  } catch (error) {
    if (error instanceof UserError) return error.message;
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("planPaths", () => {
  it("keeps valid paths as given, in order", () => {
    expect(planPaths(["/index.html", "/css/app.css", "/img/*"], hosts)).toMatchObject({
      paths: ["/index.html", "/css/app.css", "/img/*"],
      notes: [],
      wildcardCount: 1,
      fileCount: 2,
    });
  });

  it.each([
    ["https://www.example.com/about.html?lang=en#top", "/about.html?lang=en"],
    ["http://D111111ABCDEF8.cloudfront.net:443/a/b", "/a/b"],
    ["https://www.example.com", "/"],
  ])("turns the URL %s on the distribution's own hosts into its path", (url, path) => {
    const plan = planPaths([url], hosts);
    expect(plan.paths).toEqual([path]);
    expect(plan.notes).toEqual([{ input: url, path, reason: "url-converted" }]);
  });

  it.each([
    ["/a b.html", "/a%20b.html"],
    ["/café.html", "/caf%C3%A9.html"],
    ["/x{1}|y", "/x%7B1%7D%7Cy"],
    ["/tilde~and^caret", "/tilde%7Eand%5Ecaret"],
    ["/100%", "/100%25"],
  ])("URL-encodes what CloudFront wants encoded: %s", (input, path) => {
    const plan = planPaths([input], hosts);
    expect(plan.paths).toEqual([path]);
    expect(plan.notes).toEqual([{ input, path, reason: "encoded" }]);
  });

  it.each(["/already%20encoded", "/q?x=1&y=2", "/a(b)!$,;=:@'+.txt", "/img/*"])(
    "leaves %s as it is",
    (input) => {
      expect(planPaths([input], hosts)).toMatchObject({ paths: [input], notes: [] });
    },
  );

  it("drops duplicates and paths a wildcard in the same purge covers, saying which", () => {
    const plan = planPaths(["/img/a.png", "/a", "/img/*", "/a", "/img/b/c.png"], hosts);
    expect(plan.paths).toEqual(["/a", "/img/*"]);
    expect(plan.notes).toEqual(
      expect.arrayContaining([
        { input: "/a", path: "/a", reason: "duplicate-dropped" },
        { input: "/img/a.png", path: "/img/*", reason: "covered-by-wildcard" },
        { input: "/img/b/c.png", path: "/img/*", reason: "covered-by-wildcard" },
      ]),
    );
  });

  it("reports every invalid path at once and purges none", () => {
    const message = refusal(["index.html", "/ok", "/img/*/a.png", "https://evil.example.org/x", "/a\u0007"]);
    expect(message).toMatch(/^4 paths are invalid:/);
    expect(message).toContain("`index.html` is not a valid path: paths start with `/`, e.g. `/index.html`.");
    expect(message).toContain("a `*` may only end a path");
    expect(message).toMatch(
      /`evil\.example\.org`, which is not this distribution's domain or one of its aliases \(`d111111abcdef8\.cloudfront\.net`, `www\.example\.com`\)/,
    );
    expect(message).toContain("control characters");
    expect(message).toMatch(/Nothing was purged\.$/);
  });

  it("refuses a lone UTF-16 surrogate by name instead of failing to encode it", () => {
    expect(refusal(["/\uD800x"])).toContain(
      "`/\uFFFDx` contains an invalid character (a lone UTF-16 surrogate)",
    );
  });

  it("quotes what the user typed as plain text, for the message builders to escape", () => {
    expect(refusal(["<!channel>"])).toContain("`<!channel>` is not a valid path");
  });

  it("enforces CloudFront's limits with a clear message", () => {
    const many = Array.from({ length: 3001 }, (_, i) => `/f${i}`);
    expect(refusal(many)).toBe(
      "CloudFront accepts at most 3,000 paths in one invalidation; you gave 3,001. Use a wildcard such as `/img/*`, or split the purge.",
    );
    expect(planPaths(many.slice(0, 3000), hosts).paths).toHaveLength(3000);
    const wildcards = Array.from({ length: 16 }, (_, i) => `/d${i}/*`);
    expect(refusal(wildcards)).toMatch(
      /at most 15 wildcard paths in progress per distribution; this purge has 16/,
    );
    expect(refusal([`/${"a".repeat(4000)}`])).toMatch(/longer than CloudFront's 4,000 characters/);
  });

  it("asks for at least one path", () => {
    expect(refusal(["  "])).toMatch(/Give at least one path/);
  });
});

describe("cache tags", () => {
  it("become `#` items, lower-cased and once each, counted apart from paths and wildcards", () => {
    expect(
      planPaths(["tag:Product-42", "/index.html", "#product-42", "TAG:sale", "/img/*"], hosts),
    ).toMatchObject({
      paths: ["#product-42", "/index.html", "#sale", "/img/*"],
      tagCount: 2,
      wildcardCount: 1,
      fileCount: 1,
    });
  });

  it("are billed as one path each, as AWS documents", () => {
    expect(countBilledPaths(["#product-42", "#sale", "/index.html"])).toBe(3);
  });

  it("are never covered by a path wildcard, nor cover a path", () => {
    expect(coalescePaths(["/*", "#sale"]).paths).toEqual(["/*", "#sale"]);
  });

  it.each([
    ["tag:product-*", /not a valid tag: CloudFront matches tags exactly, with no `\*` wildcard/],
    ["tag:", /names no tag/],
    ["tag:a,b", /visible ASCII characters without spaces or commas/],
    ["tag:caf\u00e9", /visible ASCII characters/],
    [`tag:${"x".repeat(257)}`, /longer than CloudFront's 256 characters for a tag/],
  ])("refuses %j before anything reaches AWS", (input, message) => {
    expect(refusal([input])).toMatch(message);
  });

  it("allows a tag of exactly 256 characters", () => {
    expect(planPaths([`tag:${"x".repeat(256)}`], hosts).paths).toEqual([`#${"x".repeat(256)}`]);
  });
});

describe("wildcard coverage", () => {
  it.each([
    ["/img/a.png", "/img/*", true],
    ["/img/x/y.png", "/img/*", true],
    ["/img/", "/img/*", true],
    ["/imgs/a", "/img*", true],
    ["/img.png", "/img*", true],
    ["/anything", "/*", true],
    ["/img/*", "/*", true],
    ["/img/*", "/img/*", false],
    ["/im", "/img/*", false],
    ["/IMG/a.png", "/img/*", false],
    ["/img/a.png", "/img/a.png", false],
  ])("%s covered by %s: %s", (path, wildcard, covered) => {
    expect(isCoveredBy(path, wildcard)).toBe(covered);
  });

  it("coalesces a set, dropping narrower wildcards too", () => {
    expect(coalescePaths(["/img/*", "/img/a/*", "/img/a/b.png", "/css/x.css", "/css/x.css"])).toEqual({
      paths: ["/img/*", "/css/x.css"],
      dropped: [
        { path: "/img/a/*", coveredBy: "/img/*" },
        { path: "/img/a/b.png", coveredBy: "/img/*" },
      ],
    });
  });

  it("counts billed paths as AWS does: a wildcard is one path", () => {
    expect(countBilledPaths(["/a", "/img/*", "/*"])).toBe(3);
  });

  it("summarizes long lists", () => {
    expect(summarizePaths(["/a", "/b", "/c"], 2)).toBe("/a, /b and 1 more");
  });
});
