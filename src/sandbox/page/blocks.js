// Renders Slack's Block Kit and mrkdwn into DOM nodes, as Slack's client shows them. Text always goes
// in through textContent, never innerHTML: what people and AWS wrote can only ever be text here.

/** @param {string} tag @param {string} [className] @param {string} [text] */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Slack escapes &, < and > in message text; the reader sees the characters. */
function decodeEntities(text) {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

const SAFE_LINK = /^(https?:|mailto:)/i;

/** One `<…>` token: a mention, a channel, a group, a special mention or a link. */
function renderAngle(inner, lookup) {
  const [target, label] = inner.split("|", 2);
  if (target.startsWith("@")) return el("span", "mention", `@${label ?? lookup.person(target.slice(1))}`);
  if (target.startsWith("#")) return el("span", "mention", `#${label ?? lookup.channel(target.slice(1))}`);
  if (target.startsWith("!subteam^")) return el("span", "mention", label ?? "@group");
  if (target.startsWith("!")) return el("span", "mention", `@${target.slice(1)}`);
  const url = decodeEntities(target);
  if (!SAFE_LINK.test(url)) return document.createTextNode(decodeEntities(label ?? target));
  const a = el("a", "link", decodeEntities(label ?? target));
  a.href = url;
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  return a;
}

/** Inline code, links, mentions, bold, italic and strike (which may hold code or links). */
function renderInline(text, lookup, parent) {
  const pattern =
    /`([^`\n]+)`|<([^<>\n]+)>|\*([^*\n]+)\*|(?<![A-Za-z0-9])_([^_\n]+)_(?![A-Za-z0-9])|~([^~\n]+)~/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    if (match.index > last) appendText(parent, text.slice(last, match.index));
    if (match[1] !== undefined) parent.append(el("code", "code", decodeEntities(match[1])));
    else if (match[2] !== undefined) parent.append(renderAngle(match[2], lookup));
    else {
      const tag = match[3] !== undefined ? "b" : match[4] !== undefined ? "i" : "s";
      const node = el(tag);
      renderInline(match[3] ?? match[4] ?? match[5], lookup, node);
      parent.append(node);
    }
    last = match.index + match[0].length;
  }
  if (last < text.length) appendText(parent, text.slice(last));
}

/** The emoji the bot uses, as Slack's client draws them; others stay as their :name:. */
const EMOJI = {
  arrows_counterclockwise: "🔄",
  ballot_box_with_check: "☑️",
  bar_chart: "📊",
  broom: "🧹",
  gear: "⚙️",
  hourglass_flowing_sand: "⏳",
  information_source: "ℹ️",
  large_green_circle: "🟢",
  large_yellow_circle: "🟡",
  lock: "🔒",
  rotating_light: "🚨",
  warning: "⚠️",
  white_check_mark: "✅",
  white_circle: "⚪",
  x: "❌",
};

function appendText(parent, text) {
  const lines = decodeEntities(text)
    .replace(/:([a-z0-9_+-]+):/g, (whole, name) => EMOJI[name] ?? whole)
    .split("\n");
  lines.forEach((line, i) => {
    if (i > 0) parent.append(el("br"));
    if (line) parent.append(document.createTextNode(line));
  });
}

/** Slack's mrkdwn: code blocks, inline code, bold, italic, strike, links and mentions. */
export function renderMrkdwn(text, lookup) {
  const root = el("span", "mrkdwn");
  const parts = text.split(/```/);
  parts.forEach((part, i) => {
    if (i % 2 === 1) {
      root.append(el("pre", "code-block", decodeEntities(part.replace(/^\n/, ""))));
      return;
    }
    renderInline(part, lookup, root);
  });
  return root;
}

function renderText(text, lookup) {
  if (!text) return el("span");
  return text.type === "mrkdwn"
    ? renderMrkdwn(text.text ?? "", lookup)
    : el("span", "plain", text.text ?? "");
}

function renderButton(element, blockId, onClick) {
  const button = el(
    "button",
    `bk-button${element.style ? ` bk-${element.style}` : ""}`,
    element.text?.text ?? "",
  );
  button.type = "button";
  button.dataset.actionId = element.action_id ?? "";
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await onClick({ actionId: element.action_id ?? "", blockId });
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

function renderImage(element, className) {
  const img = el("img", className);
  img.src = element.image_url ?? element.url ?? "";
  img.alt = element.alt_text ?? "";
  return img;
}

/** Block Kit blocks as Slack lays them out; unknown kinds show as a note, never as raw data. */
export function renderBlocks(blocks, lookup, onClick) {
  const root = el("div", "blocks");
  for (const block of blocks) {
    const blockId = block.block_id ?? "";
    switch (block.type) {
      case "header":
        root.append(el("div", "bk-header", block.text?.text ?? ""));
        break;
      case "divider":
        root.append(el("hr", "bk-divider"));
        break;
      case "section": {
        const section = el("div", "bk-section");
        const body = el("div", "bk-section-body");
        if (block.text) body.append(renderText(block.text, lookup));
        if (Array.isArray(block.fields)) {
          const fields = el("div", "bk-fields");
          for (const field of block.fields) {
            const cell = el("div", "bk-field");
            cell.append(renderText(field, lookup));
            fields.append(cell);
          }
          body.append(fields);
        }
        section.append(body);
        if (block.accessory?.type === "button")
          section.append(renderButton(block.accessory, blockId, onClick));
        if (block.accessory?.type === "image") section.append(renderImage(block.accessory, "bk-thumb"));
        root.append(section);
        break;
      }
      case "context": {
        const context = el("div", "bk-context");
        for (const element of block.elements ?? []) {
          if (element.type === "image") context.append(renderImage(element, "bk-context-image"));
          else context.append(renderText(element, lookup));
        }
        root.append(context);
        break;
      }
      case "actions": {
        const actions = el("div", "bk-actions");
        for (const element of block.elements ?? [])
          if (element.type === "button") actions.append(renderButton(element, blockId, onClick));
        root.append(actions);
        break;
      }
      case "image": {
        const figure = el("figure", "bk-image");
        if (block.title) figure.append(el("figcaption", "", block.title.text ?? ""));
        figure.append(renderImage(block, ""));
        root.append(figure);
        break;
      }
      default:
        root.append(el("div", "bk-unknown", `(a ${block.type} block, which this page does not draw)`));
    }
  }
  return root;
}
