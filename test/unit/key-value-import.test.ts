import { describe, expect, it } from "vitest";
import { allowedImportUrl, parseImportFile } from "../../src/changes/key-value-import.js";
import { UserError } from "../../src/errors.js";

const store = {
  alias: "redirects",
  arn: "arn:aws:cloudfront::123456789012:key-value-store/k1",
  importFrom: ["https://raw.githubusercontent.com/acme/edge/main/"],
};

describe("/cdn kv … import: where from", () => {
  it("takes a URL under a prefix the config lists, as the URL parser writes it", () => {
    expect(allowedImportUrl(store, "https://raw.githubusercontent.com/acme/edge/main/redirects.json")).toBe(
      "https://raw.githubusercontent.com/acme/edge/main/redirects.json",
    );
  });

  it.each([
    ["https://raw.githubusercontent.com/acme/edge/main/../../other/secrets.json", /is not there/],
    ["https://raw.githubusercontent.com/acme/edge/mainline/x.json", /is not there/],
    ["https://raw.githubusercontent.com.evil.example/acme/edge/main/x.json", /is not there/],
    ["https://user:pw@raw.githubusercontent.com/acme/edge/main/x.json", /is not there/],
    ["http://raw.githubusercontent.com/acme/edge/main/x.json", /is not there/],
    ["http://169.254.169.254/latest/meta-data/", /is not there/],
    ["not a url", /is not a URL/],
  ])("refuses %s", (url, message) => {
    expect(() => allowedImportUrl(store, url)).toThrow(UserError);
    expect(() => allowedImportUrl(store, url)).toThrow(message);
  });

  it("refuses every URL for a store the config lists no prefix for", () => {
    expect(() => allowedImportUrl({ ...store, importFrom: [] }, "https://example.com/a.json")).toThrow(
      /takes no imports: an operator lists the URL prefixes .* `keyValueStores\.redirects\.importFrom`/,
    );
  });
});

describe("/cdn kv … import: what", () => {
  it("reads CloudFront's own import format and a plain object of keys", () => {
    expect(parseImportFile('{"data": [{"key": "/a", "value": "/b"}, {"key": "/c", "value": "/d"}]}')).toEqual(
      {
        "/a": "/b",
        "/c": "/d",
      },
    );
    expect(parseImportFile('{"/a": "/b"}')).toEqual({ "/a": "/b" });
  });

  it.each([
    ["{", /not JSON/],
    ['{"data": [{"key": "/a"}]}', /neither CloudFront's import format/],
    ['{"/a": 1}', /neither CloudFront's import format/],
    ['{"data": []}', /holds no keys/],
    ['{"data": [{"key": "/a", "value": "1"}, {"key": "/a", "value": "2"}]}', /names a key twice/],
    [
      JSON.stringify(Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`/k${i}`, "v"]))),
      /51 keys; .* at most 50/,
    ],
  ])("refuses %s", (text, message) => {
    expect(() => parseImportFile(text)).toThrow(message);
  });
});
