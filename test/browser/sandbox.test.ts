import { execFile } from "node:child_process";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/sandbox/run-sandbox.js";
import { ARTIFACTS, launchBrowser } from "../support/browser.js";

let sandbox: Sandbox;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  // Twenty times CloudFront's pace: invalidations take 1–2 s, deploys 3–6 s.
  sandbox = await startSandbox({ port: 0, speed: 20 });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`${sandbox.url}/?as=U0ALICE`);
});
afterAll(async () => {
  await browser?.close();
  await sandbox?.stop();
});

const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `sandbox-${name}.png`) });

async function type(text: string, composer = "#composer") {
  await page.fill(composer, text);
  await page.press(composer, "Enter");
}

/** The channel's top-level message whose text matches, as the page shows it. */
const message = (text: RegExp) => page.locator("#messages .message").filter({ hasText: text });

async function openChannel(name: string) {
  await page.click(`#channels [data-nav="${name}"]`);
  await expect.poll(() => page.textContent("#title")).toBe(`# ${name}`);
}

describe("npm run sandbox, driven in a real browser", () => {
  it("purges: the thread reaches Completed", async () => {
    await type("/cdn purge web /index.html /css/app.css");

    const parent = message(/Purge of web/);
    await parent.waitFor();
    await parent.locator(".replies").click();
    // The reply, not the parent above it (which shows the same status once it is updated).
    await page
      .locator("#thread-messages .message")
      .filter({ hasText: /Invalidation \S+ Completed in \d+s/ })
      .waitFor({ timeout: 60_000 });
    await expect.poll(() => parent.textContent(), { timeout: 10_000 }).toMatch(/Completed/);
    expect(await parent.textContent()).toContain("alice");
    await shot("1-purge-completed");
  }, 90_000);

  it("runs the Workflow Builder step from the panel: it completes with the invalidation's id", async () => {
    await page.selectOption("#trouble-distribution", "web");
    await page.click("#run-step");
    await expect.poll(() => page.textContent("#trouble-said")).toMatch(/A workflow ran the step/);
    await message(
      /Workflow step “Purge CloudFront paths” completed: purge_id R\w+, invalidation_id I\w+/,
    ).waitFor({
      timeout: 60_000,
    });
  }, 90_000);

  it("purges one customer of the multi-tenant demo distribution through the tenant's own API", async () => {
    await type("/cdn purge saas/acme /index.html");
    const parent = message(/Purge of saas\/acme/);
    await parent.waitFor();
    await parent.locator(".replies").click();
    await page
      .locator("#thread-messages .message")
      .filter({ hasText: /Invalidation \S+ Completed in \d+s: 1 path purged from saas\/acme/ })
      .waitFor({ timeout: 60_000 });
    await shot("1b-tenant-purge-completed");
  }, 90_000);

  it("asks for a change as one person, refuses their own approval, and deploys it once another approves", async () => {
    await page.click("#thread-close");
    await type("/cdn ttl docs default=600");
    const request = message(/Pending approval/);
    await request.getByRole("button", { name: "Approve" }).waitFor();
    await shot("2-change-requested");

    await request.getByRole("button", { name: "Approve" }).click();
    await page
      .locator("#messages .message.ephemeral")
      .filter({ hasText: /you cannot approve it/ })
      .waitFor();

    await page.selectOption("#person", "U0BOB");
    await expect.poll(() => page.inputValue("#person")).toBe("U0BOB");
    const asBob = message(/docs/).filter({ has: page.getByRole("button", { name: "Approve" }) });
    await asBob.getByRole("button", { name: "Approve" }).click();

    await message(/Change \w+ to docs[\s\S]*Status:\s*Deployed/).waitFor({ timeout: 60_000 });
    await shot("3-change-deployed");
  }, 120_000);

  it("refuses to write a change when someone else changed the same setting since the preview", async () => {
    await type("/cdn ttl docs default=1200");
    const request = message(/Pending approval[\s\S]*default TTL: \d+ → 1200/);
    await request.getByRole("button", { name: "Approve" }).waitFor();

    await page.selectOption("#trouble-distribution", "docs");
    await page.click('[data-trouble="edit"]');
    await expect.poll(() => page.textContent("#trouble-said")).toMatch(/Someone edited docs in the console/);
    await page.selectOption("#person", "U0CAROL");
    await expect.poll(() => page.inputValue("#person")).toBe("U0CAROL");
    await message(/Pending approval[\s\S]*→ 1200/)
      .getByRole("button", { name: "Approve" })
      .click();

    await message(
      /Change \w+ to docs[\s\S]*Status:\s*Failed[\s\S]*Someone else changed the same settings since the preview/,
    ).waitFor({
      timeout: 30_000,
    });
    await shot("4-drift-refused");
  }, 60_000);

  it("shows the Home tab: recent activity and the approvals this person may act on", async () => {
    await page.click('#channels [data-nav="home"]');
    await expect
      .poll(() => page.textContent("#messages"), { timeout: 15_000 })
      .toMatch(/Waiting for you[\s\S]*In flight[\s\S]*Recent activity[\s\S]*purge completed · @alice/);
    await shot("5-home");
  });

  it("watches a distribution: a 5xx spike alerts #incidents, and its recovery too", async () => {
    await openChannel("incidents");
    await page.selectOption("#trouble-distribution", "web");
    await type("/cdn watch web #incidents --5xx 2%");
    await message(/This channel now gets `?web`?'s purges/).waitFor();

    await page.selectOption("#trouble-distribution", "web");
    await page.click('[data-trouble="spike"]');
    await message(/Alert: web .* 5xx error rate is 12\.00%/).waitFor({ timeout: 60_000 });
    await shot("6-alert");

    await page.click('[data-trouble="recover"]');
    await message(/Recovered: web .* 5xx error rate is back to/).waitFor({ timeout: 90_000 });
    await shot("7-recovered");
  }, 180_000);

  it("draws /cdn stats with its chart as a picture", async () => {
    await openChannel("deploys");
    await type("/cdn stats web 3h");
    const stats = message(/Metrics for web[\s\S]*A chart is in the thread/);
    await stats.locator(".replies").click({ timeout: 30_000 });
    const chart = page.locator("#thread-messages figure.file img");
    await chart.waitFor({ timeout: 30_000 });
    await expect
      .poll(() => chart.evaluate((img) => (img as { naturalWidth: number }).naturalWidth))
      .toBeGreaterThan(100);
    await shot("8-stats");
  }, 60_000);

  it("takes a pipeline's purge through the API (npx cdnbot), its thread in #deploys naming the pipeline", async () => {
    await openChannel("deploys");
    const cli = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(
        process.execPath,
        ["src/cli/cdnbot.mjs", "purge", "shop", "/api/cart.json", "--wait", "--timeout", "60s"],
        {
          env: { PATH: process.env.PATH ?? "", CDNBOT_URL: sandbox.api.url, CDNBOT_TOKEN: sandbox.api.token },
          encoding: "utf8",
        },
        (error, stdout, stderr) =>
          resolve({
            code: error ? Number(error.code ?? 1) : 0,
            stdout: `${stdout}${stderr}${error ? String(error) : ""}`,
          }),
      );
    });
    expect(cli.stdout).toMatch(/purge of 1 path\(s\) on shop: completed/);
    expect(cli.code).toBe(0);
    const parent = message(/Purge of shop/).filter({ hasText: "pipeline" });
    await expect
      .poll(() => parent.textContent(), { timeout: 10_000 })
      .toMatch(/requested by pipeline sandbox-pipeline[\s\S]*Completed/);
    await shot("9-pipeline-purge");
  }, 90_000);

  it("stages a change, breaks it with the panel's 5xx spike, and watches the bot pull it back", async () => {
    await page.selectOption("#person", "U0ALICE");
    await expect.poll(() => page.inputValue("#person")).toBe("U0ALICE");
    await type("/cdn price-class docs 200 --staged 10%");
    const request = message(/Pending approval[\s\S]*staged first: 10% of requests/);
    await request.getByRole("button", { name: "Approve" }).waitFor();
    await page.selectOption("#person", "U0BOB");
    await expect.poll(() => page.inputValue("#person")).toBe("U0BOB");
    await request.getByRole("button", { name: "Approve" }).click();
    await message(/Change \w+ to docs[\s\S]*Status:\s*Staged[\s\S]*soaking until/).waitFor({
      timeout: 60_000,
    });
    await shot("4b-staged-soaking");

    await page.selectOption("#trouble-distribution", "docs");
    await page.click('[data-trouble="spike"]');
    await expect
      .poll(() => page.textContent("#trouble-said"))
      .toMatch(/docs's staging copy \(its staged change\)/);
    await message(
      /Change \w+ to docs[\s\S]*Status:\s*Failed[\s\S]*Pulled back: the staging 5xx rate was 12\.00%/,
    ).waitFor({ timeout: 30_000 });
    await shot("4c-staged-pulled-back");
    await page.click('[data-trouble="recover"]');
  }, 120_000);

  it("reads the demo key-value store the website's function uses", async () => {
    await type("/cdn kv redirects list");
    const listed = page.locator("#messages .message.ephemeral").last();
    await expect.poll(() => listed.textContent()).toMatch(/Key-value store redirects \(3 keys/);
    expect(await listed.textContent()).toContain("/careers → https://jobs.example.com");
  });

  it("shows what people typed literally: markup and mentions stay text", async () => {
    await type("/cdn purge web <b>not-a-path</b> @bob");
    const refusal = page.locator("#messages .message.ephemeral").last();
    await expect.poll(() => refusal.textContent()).toMatch(/<b>not-a-path<\/b>/);
    expect(await page.locator("#messages b:text('not-a-path')").count()).toBe(0);
  });
});

describe("the sandbox page's Block Kit and mrkdwn drawing", () => {
  /** Draws mrkdwn in the page with its own module; returns the HTML it made and what a reader sees. */
  // Written as page source: the test runner would rewrite an import() inside a function it ships.
  const draw = (text: string) =>
    page.evaluate(`(async () => {
      const { renderMrkdwn } = await import("/page/blocks.js");
      const node = renderMrkdwn(${JSON.stringify(text)}, { person: (id) => id, channel: (id) => id });
      return { html: node.innerHTML, text: node.textContent };
    })()`) as Promise<{ html: string; text: string }>;

  it("draws what a person or AWS wrote as text, never as markup or a script link", async () => {
    const html = await draw(
      "&lt;img src=x onerror=alert(1)&gt; <javascript:alert(1)|click me> <https://example.com/a?b=1&amp;c=2|docs>",
    );
    expect(html.text).toBe("<img src=x onerror=alert(1)> click me docs");
    expect(html.html).not.toMatch(/<img|href="javascript/i);
    expect(html.html).toContain('href="https://example.com/a?b=1&amp;c=2"');
  });

  it("draws Slack's formatting: bold holding code, italic, strike, mentions, code blocks, emoji", async () => {
    const drawn = await draw(
      "*Purge of `web`* _soon_ ~old~ <@U0BOB|bob> <#C0INCIDENTS|incidents> :white_check_mark:\n```a < b```",
    );
    expect(drawn.html).toMatch(/<b>Purge of <code class="code">web<\/code><\/b>/);
    expect(drawn.html).toContain("<i>soon</i>");
    expect(drawn.html).toContain("<s>old</s>");
    expect(drawn.text).toContain("@bob");
    expect(drawn.text).toContain("#incidents");
    expect(drawn.text).toContain("✅");
    expect(drawn.html).toContain('<pre class="code-block">a &lt; b</pre>');
  });
});
