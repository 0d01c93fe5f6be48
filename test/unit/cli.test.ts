import { describe, expect, it } from "vitest";
import { ApiAnswerError, type ApiClient, ApiUnreachableError } from "../../src/cli/api-client.js";
import { runCli } from "../../src/cli/cdnbot-cli.js";

/** Runs the CLI in-process against a client that fails the way a real one does. */
async function run(argv: string[], failure?: Error) {
  let stdout = "";
  let stderr = "";
  const client = {
    purge: async () => {
      throw failure ?? new Error("not reached");
    },
    operation: async () => {
      throw failure ?? new Error("not reached");
    },
    decideStaged: async (id: string, kind: string, reason?: string) => {
      if (failure) throw failure;
      return {
        status: 200,
        body: {
          id,
          kind: "change",
          distribution: "web",
          state: "staged",
          final: false,
          change: `price class (${kind}${reason ? `: ${reason}` : ""})`,
          staged: { share: "5% of requests", phase: kind === "promote" ? "promoting" : "pulling-back" },
        },
      };
    },
  } as unknown as ApiClient;
  const code = await runCli(
    argv,
    {
      out: (t) => {
        stdout += t;
      },
      err: (t) => {
        stderr += t;
      },
      env: { CDNBOT_URL: "http://127.0.0.1:1", CDNBOT_TOKEN: "cdnbot_x" },
    },
    () => client,
  );
  return { code, stdout, stderr };
}

describe("the CLI as a pipeline reads it", () => {
  it.each([
    [
      "a refusal",
      ["purge", "shop", "/x", "--json"],
      new ApiAnswerError(403, "forbidden", "Client web-deploy may not use distribution shop."),
      4,
      "forbidden",
    ],
    [
      "an unreachable bot",
      ["status", "R1234567", "--json"],
      new ApiUnreachableError("could not connect to http://127.0.0.1:1"),
      5,
      "unreachable",
    ],
    ["a usage error", ["purge", "web", "--json"], undefined, 64, "usage"],
    [
      "a promotion only a person may give",
      ["promote", "R7K2M9Q", "--json"],
      new ApiAnswerError(422, "refused", "Only people approve requests. Nothing was changed."),
      4,
      "refused",
    ],
    ["an abort of no change", ["abort", "--json"], undefined, 64, "usage"],
    ["an unknown option", ["purge", "web", "/a", "--jsno", "--json"], undefined, 64, "usage"],
  ] as const)(
    "with --json, gives %s as JSON on stdout, and in words on stderr",
    async (_, argv, failure, exit, code) => {
      const result = await run([...argv], failure);
      expect(result.code).toBe(exit);
      expect(JSON.parse(result.stdout)).toEqual({ error: { code, message: expect.any(String) } });
      expect(result.stderr).not.toBe("");
    },
  );

  it("promotes and aborts a staged change, saying where it is", async () => {
    const promoted = await run(["promote", "R7K2M9Q"]);
    expect(promoted.code).toBe(0);
    expect(promoted.stdout).toMatch(
      /R7K2M9Q: change .* on web: staged \(staged: 5% of requests, promoting\)/,
    );
    const aborted = await run(["abort", "R7K2M9Q", "--reason", "404s on /home"]);
    expect(aborted.stdout).toMatch(/\(abort: 404s on \/home\).*pulling-back/);
  });

  it("without --json, keeps stdout empty on an error", async () => {
    const result = await run(["purge", "shop", "/x"], new ApiAnswerError(403, "forbidden", "no"));
    expect(result).toMatchObject({ code: 4, stdout: "", stderr: "cdnbot refused (forbidden): no\n" });
  });

  it("run bare, prints its usage on stderr and exits 64; asked for help, on stdout with 0", async () => {
    const bare = await run([]);
    expect(bare).toMatchObject({ code: 64, stdout: "" });
    expect(bare.stderr).toMatch(/cdnbot purge <distribution>/);
    const help = await run(["--help"]);
    expect(help).toMatchObject({ code: 0, stderr: "" });
    expect(help.stdout).toMatch(/cdnbot purge <distribution>/);
  });
});
