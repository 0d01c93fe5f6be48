// The sandbox's page: a Slack-like channel view over the stand-in's small API. It holds no logic of
// the bot's: everything shown comes from what the bot posted through Slack's Web API.
import { el, renderBlocks, renderMrkdwn } from "./blocks.js";

const params = new URLSearchParams(location.search);
const state = {
  me: params.get("as") ?? localStorage.getItem("cdnbot-sandbox-person") ?? "U0ALICE",
  channel: "C0DEPLOYS",
  view: "channel", // or "home"
  thread: null, // the ts of the open thread
  people: [],
  channels: [],
  distributions: [],
  messages: new Map(), // key channel/ts
  home: null,
  events: null,
};

const $ = (id) => document.getElementById(id);
const key = (m) => `${m.channel}/${m.ts}`;
const lookup = {
  person: (id) => state.people.find((p) => p.id === id)?.name ?? id,
  channel: (id) => state.channels.find((c) => c.id === id)?.name ?? id,
};

async function api(path, body) {
  const res = await fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ user: state.me, ...body }),
  });
  return res.json();
}

async function load() {
  const res = await fetch(`/ui/state?user=${encodeURIComponent(state.me)}`);
  const data = await res.json();
  state.people = data.people;
  state.channels = data.channels;
  state.distributions = data.distributions;
  state.messages = new Map(data.messages.map((m) => [key(m), m]));
  state.home = data.home;
  $("team").textContent = data.team.name;
  renderSidebar();
  renderPanel();
  render();
  listen();
}

function listen() {
  state.events?.close();
  const events = new EventSource(`/ui/events?user=${encodeURIComponent(state.me)}`);
  events.onmessage = (e) => {
    const event = JSON.parse(e.data);
    if (event.kind === "home") state.home = event.view;
    else state.messages.set(key(event.message), event.message);
    render();
  };
  state.events = events;
}

function renderSidebar() {
  const list = $("channels");
  list.replaceChildren();
  const home = el("li", `nav${state.view === "home" ? " active" : ""}`, "cdnbot (Home)");
  home.dataset.nav = "home";
  home.addEventListener("click", () => openHome());
  list.append(home);
  for (const c of state.channels) {
    const item = el(
      "li",
      `nav${state.view === "channel" && state.channel === c.id ? " active" : ""}`,
      `# ${c.name}`,
    );
    item.dataset.nav = c.name;
    item.addEventListener("click", () => {
      state.view = "channel";
      state.channel = c.id;
      state.thread = null;
      renderSidebar();
      render();
    });
    list.append(item);
  }
  const select = $("person");
  select.replaceChildren(
    ...state.people.map((p) => {
      const option = el("option", "", `${p.name} — ${p.title}`);
      option.value = p.id;
      option.selected = p.id === state.me;
      return option;
    }),
  );
}

function renderPanel() {
  const select = $("trouble-distribution");
  select.replaceChildren(
    ...state.distributions.map((d) => {
      const option = el("option", "", d);
      option.value = d;
      return option;
    }),
  );
}

async function openHome() {
  state.view = "home";
  state.thread = null;
  renderSidebar();
  render();
  // Slack sends app_home_opened each time a person opens the tab; the bot redraws it.
  await api("/ui/home", {});
}

function time(ts) {
  return new Date(Number(ts) * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function renderMessage(m, { inThread }) {
  const item = el("div", `message${m.visibleTo ? " ephemeral" : ""}`);
  item.dataset.ts = m.ts;
  item.dataset.author = m.author;
  const head = el("div", "message-head");
  head.append(el("span", `author${m.isBot ? " bot" : ""}`, m.author));
  if (m.isBot) head.append(el("span", "app-badge", "APP"));
  head.append(el("span", "time", time(m.ts)));
  if (m.edited) head.append(el("span", "edited", "(edited)"));
  item.append(head);
  const onClick = ({ actionId, blockId }) =>
    api("/ui/click", { channel: m.channel, ts: m.ts, actionId, blockId });
  // Slack shows the blocks when a message has them; `text` is the fallback for notifications.
  item.append(m.blocks?.length ? renderBlocks(m.blocks, lookup, onClick) : renderMrkdwn(m.text, lookup));
  for (const file of m.files ?? []) {
    const figure = el("figure", "file");
    const img = el("img");
    img.src = file.url;
    img.alt = file.title;
    figure.append(img, el("figcaption", "", file.title));
    item.append(figure);
  }
  if (m.visibleTo) item.append(el("div", "only-you", "Only visible to you"));
  if (!inThread) {
    const replies = [...state.messages.values()].filter(
      (r) => r.channel === m.channel && r.threadTs === m.ts,
    );
    if (replies.length > 0) {
      const link = el("button", "replies", `${replies.length} ${replies.length === 1 ? "reply" : "replies"}`);
      link.type = "button";
      link.addEventListener("click", () => {
        state.thread = m.ts;
        render();
      });
      item.append(link);
    }
  }
  return item;
}

function render() {
  const main = $("messages");
  const title = $("title");
  const composer = $("composer-box");
  if (state.view === "home") {
    title.textContent = "cdnbot — Home";
    composer.hidden = true;
    const onClick = ({ actionId, blockId }) => api("/ui/click", { home: true, actionId, blockId });
    main.replaceChildren(
      state.home
        ? renderBlocks(state.home.blocks ?? [], lookup, onClick)
        : el("p", "empty", "Opening the Home tab…"),
    );
    $("thread").hidden = true;
    return;
  }
  const channel = state.channels.find((c) => c.id === state.channel);
  title.textContent = `# ${channel?.name ?? ""}`;
  composer.hidden = false;
  $("composer").placeholder = `Message #${channel?.name ?? ""} — try /cdn help`;
  const top = [...state.messages.values()]
    .filter((m) => m.channel === state.channel && (!m.threadTs || m.threadTs === m.ts))
    .sort((a, b) => Number(a.ts) - Number(b.ts));
  const atBottom = main.scrollHeight - main.scrollTop - main.clientHeight < 40;
  main.replaceChildren(
    ...(top.length
      ? top.map((m) => renderMessage(m, { inThread: false }))
      : [el("p", "empty", "No messages yet.")]),
  );
  if (atBottom) main.scrollTop = main.scrollHeight;
  renderThread();
}

function renderThread() {
  const pane = $("thread");
  const parent = state.thread ? state.messages.get(`${state.channel}/${state.thread}`) : undefined;
  if (!parent) {
    pane.hidden = true;
    return;
  }
  pane.hidden = false;
  const replies = [...state.messages.values()]
    .filter((m) => m.channel === state.channel && m.threadTs === parent.ts)
    .sort((a, b) => Number(a.ts) - Number(b.ts));
  $("thread-messages").replaceChildren(
    renderMessage(parent, { inThread: true }),
    el("div", "thread-count", `${replies.length} ${replies.length === 1 ? "reply" : "replies"}`),
    ...replies.map((m) => renderMessage(m, { inThread: true })),
  );
}

async function send(input, threadTs) {
  const text = input.value.trim();
  if (!text) return;
  input.value = "";
  const answer = await api("/ui/send", { channel: state.channel, text, threadTs });
  if (!answer.ok) $("status").textContent = answer.error ?? `The bot answered HTTP ${answer.status}.`;
}

function wire() {
  $("composer").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      send($("composer"));
    }
  });
  $("thread-composer").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      send($("thread-composer"), state.thread);
    }
  });
  $("thread-close").addEventListener("click", () => {
    state.thread = null;
    render();
  });
  $("person").addEventListener("change", (e) => {
    state.me = e.target.value;
    localStorage.setItem("cdnbot-sandbox-person", state.me);
    state.thread = null;
    load().then(() => (state.view === "home" ? openHome() : undefined));
  });
  $("run-step").addEventListener("click", async () => {
    const answer = await api("/ui/step", {
      distribution: $("trouble-distribution").value,
      channel: state.channel,
    });
    $("trouble-said").textContent = answer.said ?? answer.error ?? "";
  });
  for (const button of document.querySelectorAll("[data-trouble]")) {
    button.addEventListener("click", async () => {
      const answer = await api("/ui/trouble", {
        kind: button.dataset.trouble,
        distribution: $("trouble-distribution").value,
      });
      $("trouble-said").textContent = answer.said ?? "";
    });
  }
}

wire();
load();
