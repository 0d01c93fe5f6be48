import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";

const root = join(import.meta.dirname, "..", "..");

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(join(root, dir), { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

async function importsOf(file: string): Promise<string[]> {
  const text = await readFile(join(root, file), "utf8");
  return [...text.matchAll(/^\s*import\s[^;]*?from\s+"([^"]+)"/gms)].map((m) => m[1]!);
}

// The composition root and the entry point are where Bolt, handlers and the environment meet.
const COMPOSITION = new Set(["src/app.ts", "src/main.ts"]);

describe("the architecture in DESIGN.md", () => {
  it("keeps Bolt and handlers out of the domain", async () => {
    const offenders: string[] = [];
    for (const file of await sourceFiles("src")) {
      if (COMPOSITION.has(file)) continue;
      for (const spec of await importsOf(file)) {
        if (spec === "@slack/bolt" || spec.includes("handlers/")) offenders.push(`${file} imports ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it("lets only src/aws import the AWS SDK", async () => {
    const offenders: string[] = [];
    for (const file of [...(await sourceFiles("src")), ...(await sourceFiles("handlers"))]) {
      if (file.startsWith("src/aws/")) continue;
      for (const spec of await importsOf(file))
        if (spec.startsWith("@aws-sdk/")) offenders.push(`${file} imports ${spec}`);
    }
    expect(offenders).toEqual([]);
  });

  it("reads process.env only in the config loader and the entry point", async () => {
    const offenders: string[] = [];
    for (const file of [...(await sourceFiles("src")), ...(await sourceFiles("handlers"))]) {
      if (file === "src/config/env.ts" || file === "src/main.ts") continue;
      if ((await readFile(join(root, file), "utf8")).includes("process.env")) offenders.push(file);
    }
    expect(offenders).toEqual([]);
  });
});

describe("manifest.yml", () => {
  it("declares exactly the slash commands and the event URL the handlers serve", async () => {
    const manifest = parseYaml(await readFile(join(root, "manifest.yml"), "utf8")) as {
      features: { slash_commands: { command: string; url: string }[] };
      settings: { interactivity: { is_enabled: boolean; request_url: string } };
    };
    const handlerText = (
      await Promise.all((await sourceFiles("handlers")).map((f) => readFile(join(root, f), "utf8")))
    ).join("\n");
    const registered = [...handlerText.matchAll(/app\.command\("([^"]+)"/g)].map((m) => m[1]);
    expect(manifest.features.slash_commands.map((c) => c.command).sort()).toEqual(registered.sort());
    for (const c of manifest.features.slash_commands) expect(new URL(c.url).pathname).toBe("/slack/events");
    expect(new URL(manifest.settings.interactivity.request_url).pathname).toBe("/slack/events");
  });

  it("registers a handler for every action id it shows and no other", async () => {
    const handlerText = (
      await Promise.all((await sourceFiles("handlers")).map((f) => readFile(join(root, f), "utf8")))
    ).join("\n");
    const srcText = (
      await Promise.all((await sourceFiles("src")).map((f) => readFile(join(root, f), "utf8")))
    ).join("\n");
    const handled = new Set(
      [...handlerText.matchAll(/app\.action(?:<[^>]+>)?\(([A-Z_]+|"[^"]+")/g)].map((m) => m[1]),
    );
    const shown = new Set([...srcText.matchAll(/action_id:\s*([A-Z_]+|"[^"]+")/g)].map((m) => m[1]));
    expect([...shown].sort()).toEqual([...handled].sort());
  });
});
