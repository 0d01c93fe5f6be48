import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

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

  it("reads process.env only in the config loader and the entry points", async () => {
    // The sandbox's --moto points the AWS SDK at moto_server through the SDK's own variables.
    const entryPoints = ["src/config/env.ts", "src/main.ts", "src/sandbox/sandbox-aws.ts"];
    const offenders: string[] = [];
    for (const file of [...(await sourceFiles("src")), ...(await sourceFiles("handlers"))]) {
      if (entryPoints.includes(file)) continue;
      if ((await readFile(join(root, file), "utf8")).includes("process.env")) offenders.push(file);
    }
    expect(offenders).toEqual([]);
  });
});

/**
 * Which part of the code may import which: one-way, from the edge (handlers, commands, slack,
 * messages) to the domain (the workflows) to what they stand on (store, aws, config). Domain
 * folders never import messages/, slack/, commands/ or handlers/: they return facts and codes,
 * and the edge words them.
 */
const MAY_IMPORT: Record<string, string[]> = {
  // The composition root and the entry point wire everything (app.ts, with the workflows and jobs
  // it composes in composition/).
  app: ["*"],
  composition: ["*"],
  main: ["app", "audit", "aws", "config", "directory", "doctor", "errors", "logger", "slack", "store"],
  // `npm run sandbox`: the bot with AWS simulated at the gateway seam and a stand-in for Slack.
  sandbox: ["api", "app", "aws", "config", "directory", "errors", "logger", "messages", "store"],
  // The edge.
  handlers: [
    "api",
    "approvals",
    "mcp",
    "commands",
    "errors",
    "health",
    "logger",
    "messages",
    "requests",
    "steps",
    "store",
  ],
  // `npx cdnbot`: a client of the HTTP API, for pipelines (and the MCP server over stdio).
  cli: ["api", "config", "mcp"],
  // The MCP server's tools, over whichever backend (the API service in the bot, or its HTTP API).
  mcp: ["api", "metrics", "purge", "text"],
  // The HTTP API and MCP server's domain: clients, idempotency, operations as JSON.
  api: [
    "approvals",
    "changes",
    "config",
    "directory",
    "distributions",
    "environments",
    "errors",
    "logger",
    "logs",
    "metrics",
    "purge",
    "store",
    "tracking",
    "workflow",
  ],
  commands: [
    "approvals",
    "aws",
    "changes",
    "config",
    "directory",
    "distributions",
    "environments",
    "errors",
    "logs",
    "messages",
    "metrics",
    "purge",
    "slack",
    "store",
    "text",
    "watch",
  ],
  slack: ["approvals", "changes", "environments", "errors", "logger", "messages", "purge", "steps", "watch"],
  messages: [
    "aws",
    "changes",
    "distributions",
    "environments",
    "errors",
    "logs",
    "metrics",
    "purge",
    "store",
    "text",
    "watch",
    "workflow",
  ],
  // The domain.
  approvals: ["config", "directory", "errors", "logger", "store", "text", "watch"],
  audit: ["config", "directory", "errors", "store", "text"],
  changes: [
    "approvals",
    "aws",
    "config",
    "directory",
    // A tenant's change finds its tenant as `/cdn tenants` does.
    "distributions",
    "errors",
    "logger",
    "store",
    "text",
    "tracking",
    "watch",
    "workflow",
  ],
  distributions: ["aws", "config", "directory", "errors", "logger", "text"],
  // Environment distributions: made from a template, followed, registered, deleted.
  environments: [
    "approvals",
    "aws",
    "config",
    "directory",
    "errors",
    "logger",
    "store",
    "text",
    "tracking",
    "watch",
    "workflow",
  ],
  metrics: ["aws", "config", "directory", "errors", "text"],
  purge: [
    "approvals",
    "aws",
    "config",
    "directory",
    "distributions",
    "errors",
    "logger",
    "store",
    "text",
    "tracking",
    "watch",
    "workflow",
  ],
  requests: ["store"],
  // Workflow Builder's steps: purges and changes asked for as the workflow's runner, and waits.
  steps: ["approvals", "changes", "errors", "logger", "purge", "store", "tracking", "workflow"],
  watch: ["aws", "config", "directory", "errors", "logger", "metrics", "store", "text"],
  tracking: ["logger"],
  // The step every workflow takes, and how a stored failure is worded where it is shown.
  workflow: ["aws", "logger", "store"],
  health: ["aws", "logger"],
  // Access logs read and summed: pure, fed lines by whichever gateway reads them.
  logs: ["approvals", "aws", "config", "directory", "errors", "text"],
  doctor: ["approvals", "aws", "changes", "config", "errors", "logs"],
  // What the domain stands on: records (with their schemas, a change's typed spec included).
  store: ["config", "logger"],
  // The DynamoDB record store implements the store's port (src/aws/dynamodb-record-store.ts).
  aws: ["errors", "logger", "store"],
  // Every distribution the bot manages (the file's, and environments), resolved once a request.
  directory: ["config", "errors", "text"],
  config: ["errors", "text"],
  text: [],
  errors: [],
  logger: [],
};

/** `handlers`, a folder of src/, or a top-level file of src/ without `.ts`. */
function unitOf(file: string): string {
  const parts = file.split("/");
  if (parts[0] === "handlers") return "handlers";
  return parts.length === 2 ? parts[1]!.replace(/\.(ts|js)$/, "") : parts[1]!;
}

describe("the import matrix", () => {
  it("holds: every import goes where the matrix allows, so imports point one way", async () => {
    const offenders: string[] = [];
    for (const file of [...(await sourceFiles("src")), ...(await sourceFiles("handlers"))]) {
      const from = unitOf(file);
      const allowed = MAY_IMPORT[from];
      for (const spec of await importsOf(file)) {
        if (!spec.startsWith(".")) continue;
        const to = unitOf(relative(root, join(root, file, "..", spec)));
        if (to === from) continue;
        if (!allowed) offenders.push(`${file}: ${from} is not in the matrix`);
        else if (!allowed.includes("*") && !allowed.includes(to))
          offenders.push(`${file} imports ${spec} (${from} → ${to})`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it("has no cycle between its parts", () => {
    const visiting = new Set<string>();
    const done = new Set<string>();
    const cycles: string[] = [];
    const visit = (unit: string, path: string[]) => {
      if (done.has(unit)) return;
      if (visiting.has(unit)) {
        cycles.push([...path, unit].join(" → "));
        return;
      }
      visiting.add(unit);
      for (const next of MAY_IMPORT[unit] ?? []) if (next !== "*") visit(next, [...path, unit]);
      visiting.delete(unit);
      done.add(unit);
    };
    for (const unit of Object.keys(MAY_IMPORT)) visit(unit, []);
    expect(cycles).toEqual([]);
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

  it("asks for exactly the bot scopes the code says it needs (what npm run doctor checks)", async () => {
    const manifest = parseYaml(await readFile(join(root, "manifest.yml"), "utf8")) as {
      oauth_config: { scopes: { bot: string[] } };
    };
    const { REQUIRED_BOT_SCOPES } = await import("../../src/slack/slack-scopes.js");
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual(Object.keys(REQUIRED_BOT_SCOPES).sort());
  });

  it("subscribes to exactly the events the handlers listen to", async () => {
    const manifest = parseYaml(await readFile(join(root, "manifest.yml"), "utf8")) as {
      settings: { event_subscriptions?: { request_url: string; bot_events: string[] } };
    };
    const handlerText = (
      await Promise.all((await sourceFiles("handlers")).map((f) => readFile(join(root, f), "utf8")))
    ).join("\n");
    const listened = [...handlerText.matchAll(/app\.event\("([^"]+)"/g)].map((m) => m[1]);
    // Workflow Builder's steps (app.function) arrive as function_executed events, which Slack sends
    // without a subscription (and refuses as one).
    expect(manifest.settings.event_subscriptions?.bot_events.sort()).toEqual(listened.sort());
    expect(new URL(manifest.settings.event_subscriptions!.request_url).pathname).toBe("/slack/events");
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

describe("manifest.yml's Workflow Builder steps", () => {
  // The shape of a custom step in Slack's app manifest reference (functions, input_parameters and
  // output_parameters, Slack's parameter types).
  const parameter = z.strictObject({
    type: z.enum([
      "string",
      "integer",
      "number",
      "boolean",
      "slack#/types/channel_id",
      "slack#/types/user_id",
    ]),
    title: z.string().min(1).max(100),
    description: z.string().min(1).max(200).optional(),
    hint: z.string().optional(),
  });
  // Required parameters are listed by name, and only names the set defines.
  const parameters = z
    .strictObject({
      properties: z.record(z.string().regex(/^[a-z_]+$/), parameter),
      required: z.array(z.string()).optional(),
    })
    .refine((p) => (p.required ?? []).every((name) => name in p.properties), "required names a property");
  const step = z.strictObject({
    title: z.string().min(1).max(100),
    description: z.string().min(1).max(200),
    input_parameters: parameters,
    output_parameters: parameters,
  });

  it("declares each step the bot runs, in the shape Slack's manifest takes, remote and org-ready", async () => {
    const manifest = parseYaml(await readFile(join(root, "manifest.yml"), "utf8")) as {
      functions: Record<string, unknown>;
      settings: { function_runtime?: string; org_deploy_enabled?: boolean };
    };
    const { STEP_CALLBACK_IDS } = await import("../../src/commands/parse-step-inputs.js");
    expect(Object.keys(manifest.functions).sort()).toEqual([...STEP_CALLBACK_IDS].sort());
    for (const [id, definition] of Object.entries(manifest.functions))
      expect(step.safeParse(definition).error?.issues ?? [], id).toEqual([]);
    expect(manifest.settings.function_runtime).toBe("remote");
    expect(manifest.settings.org_deploy_enabled).toBe(true);
  });

  it("asks for every input the bot reads, and puts out what the bot completes a step with", async () => {
    const manifest = parseYaml(await readFile(join(root, "manifest.yml"), "utf8")) as {
      functions: Record<
        string,
        {
          input_parameters: { properties: Record<string, unknown> };
          output_parameters: { properties: Record<string, unknown> };
        }
      >;
    };
    const parser = await readFile(join(root, "src/commands/parse-step-inputs.ts"), "utf8");
    const read = new Set([...parser.matchAll(/text\(inputs, "([a-z_]+)"/g)].map((m) => m[1]));
    read.add("reason");
    const asked = new Set(
      Object.values(manifest.functions).flatMap((f) => Object.keys(f.input_parameters.properties)),
    );
    expect([...read].sort()).toEqual([...asked].sort());
    const steps = await readFile(join(root, "src/steps/workflow-steps.ts"), "utf8");
    const put = new Set(
      [...steps.matchAll(/outputs: \{ ([^}]+) \}/g)].flatMap((m) =>
        [...m[1]!.matchAll(/([a-z_]+):/g)].map((k) => k[1]),
      ),
    );
    const promised = new Set(
      Object.values(manifest.functions).flatMap((f) => Object.keys(f.output_parameters.properties)),
    );
    expect([...put].sort()).toEqual([...promised].sort());
  });
});

describe("manifest.yml against Slack's own manifest type", () => {
  it("is a Manifest as @slack/web-api types it for apps.manifest.validate: every key known, every value its type", async () => {
    const { createGenerator } = await import("ts-json-schema-generator");
    const { Ajv } = await import("ajv");
    // The SDK's type, made a JSON schema: objects take no keys it does not name.
    const schema = createGenerator({
      path: join(root, "node_modules/@slack/web-api/dist/types/request/manifest.d.ts"),
      type: "Manifest",
      skipTypeCheck: true,
      expose: "none",
      additionalProperties: false,
    }).createSchema("Manifest");
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    const manifest = parseYaml(await readFile(join(root, "manifest.yml"), "utf8")) as unknown;
    validate(manifest);
    expect(validate.errors ?? []).toEqual([]);
    // And it can fail: a key Slack's type does not know is refused.
    const wrong = structuredClone(manifest) as { settings: Record<string, unknown> };
    wrong.settings.function_runtimes = "remote";
    expect(validate(wrong)).toBe(false);
  }, 30_000);
});
