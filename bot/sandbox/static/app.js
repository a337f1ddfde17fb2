/* The sandbox page: a Slack look-alike driving the emulated workspace.
 *
 * State comes from GET /sandbox/state (long poll with ?since=<version>); every act goes to
 * POST /sandbox/act. All text from the state is untrusted: nodes are built with textContent
 * (see mrkdwn.js and blockkit.js), never with innerHTML.
 */
(function () {
  "use strict";

  const { el, renderMrkdwn, renderText, plainOf, emojiFor } = window.SBText;
  const { renderBlocks } = window.SBBlocks;

  const PICKER = ["inbox_tray", "+1", "tada", "eyes", "heart", "white_check_mark"];
  const SLACKBOT = "USLACKBOT";
  const COLORS = ["#2b6cb0", "#c05621", "#2f855a", "#b83280", "#6b46c1", "#0f766e", "#b7791f", "#9b2c2c"];

  const app = {
    me: "U0001",
    route: { kind: "channel", id: "C0001" },
    state: null,
    version: null,
    meta: { commands: [], shortcuts: [] },
    gen: 0,
    pollCtrl: null,
    online: true,
    thread: null,
    local: [],
    drafts: {},
    composerDrafts: {},
    seen: {},
    dismissed: new Set(),
    stick: true,
    threadStick: true,
    modalSig: null,
    homeSig: null,
    homeAsked: false,
    homeAnswered: false,
    lastUserIds: "",
  };

  const $ = (id) => document.getElementById(id);

  // ------------------------------------------------------------------ helpers

  function usersById() {
    const out = {};
    for (const u of (app.state && app.state.users) || []) out[u.id] = u;
    out[SLACKBOT] = out[SLACKBOT] || { id: SLACKBOT, name: "Slackbot", real_name: "Slackbot", is_bot: true };
    return out;
  }

  function channelsById() {
    const out = {};
    for (const c of (app.state && app.state.channels) || []) out[c.id] = c;
    return out;
  }

  function displayName(user) {
    if (!user) return "unknown";
    return user.is_bot ? user.name : user.real_name || user.name;
  }

  function myTz() {
    const me = usersById()[app.me];
    return me && me.tz ? me.tz : undefined;
  }

  function formatTs(ts, options) {
    const date = new Date(parseFloat(ts) * 1000);
    try {
      return new Intl.DateTimeFormat("en-US", { ...options, timeZone: myTz() }).format(date);
    } catch (err) {
      return new Intl.DateTimeFormat("en-US", options).format(date);
    }
  }

  const timeOf = (ts) => formatTs(ts, { hour: "numeric", minute: "2-digit" });
  const dayKey = (ts) => formatTs(ts, { year: "numeric", month: "2-digit", day: "2-digit" });

  function dayLabel(ts) {
    const now = Date.now() / 1000;
    if (dayKey(ts) === dayKey(now)) return "Today";
    if (dayKey(ts) === dayKey(now - 86400)) return "Yesterday";
    return formatTs(ts, { weekday: "long", month: "long", day: "numeric" });
  }

  function initials(user) {
    const name = displayName(user);
    const words = name.split(/[\s._-]+/).filter(Boolean);
    const letters = words.length > 1 ? words[0][0] + words[1][0] : name.slice(0, 1);
    return letters.toUpperCase();
  }

  function colorFor(id) {
    if (id === SLACKBOT) return "#1d9bd1";
    const user = usersById()[id];
    if (user && user.is_bot) return "#0f766e";
    let hash = 0;
    for (const ch of String(id)) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
    return COLORS[hash % COLORS.length];
  }

  function avatar(userId, size = "md") {
    const user = usersById()[userId];
    const node = el("span", `avatar avatar-${size}`, user ? initials(user) : "?");
    node.style.background = colorFor(userId);
    node.setAttribute("aria-hidden", "true");
    return node;
  }

  function emojiGlyph(name) {
    return emojiFor(name) || `:${name}:`;
  }

  function toast(text, kind = "error") {
    const node = el("div", `toast toast-${kind}`, text);
    $("toast-root").appendChild(node);
    setTimeout(() => node.remove(), 6000);
  }

  function sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  function closePopovers() {
    document.querySelectorAll(".popover-menu.open").forEach((m) => m.classList.remove("open"));
    const pop = $("popover");
    if (pop) pop.remove();
    document.querySelectorAll(".msg.menu-open").forEach((m) => m.classList.remove("menu-open"));
  }

  // ------------------------------------------------------------------ server

  async function act(body) {
    const payload = { user: app.me, ...body };
    let data;
    try {
      const response = await fetch("/sandbox/act", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(payload),
      });
      data = await response.json().catch(() => ({ ok: false, error: `HTTP ${response.status}` }));
    } catch (err) {
      data = { ok: false, error: "the sandbox server is not reachable" };
    }
    if (!data.ok) toast(`${body.act} failed: ${data.error}`);
    else if ((body.act === "click" || body.act === "shortcut") && data.status >= 400) {
      toast(`productops didn't handle that ${body.act === "click" ? "action" : "shortcut"} (HTTP ${data.status})`);
    }
    refreshState();
    return data;
  }

  async function refreshState() {
    const gen = app.gen;
    try {
      const response = await fetch(`/sandbox/state?user=${encodeURIComponent(app.me)}`, { cache: "no-store" });
      if (!response.ok) return;
      const state = await response.json();
      if (gen === app.gen) applyState(state);
    } catch (err) {
      /* the long poll reports being offline */
    }
  }

  async function pollLoop() {
    for (;;) {
      const gen = app.gen;
      const ctrl = new AbortController();
      app.pollCtrl = ctrl;
      const since = app.version === null ? "" : `&since=${app.version}`;
      try {
        const response = await fetch(`/sandbox/state?user=${encodeURIComponent(app.me)}${since}`, {
          signal: ctrl.signal,
          cache: "no-store",
        });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const state = await response.json();
        setOnline(true);
        if (gen === app.gen) applyState(state);
      } catch (err) {
        if (err && err.name === "AbortError") continue;
        setOnline(false);
        await sleep(1500);
      }
    }
  }

  function setOnline(online) {
    if (app.online === online) return;
    app.online = online;
    const node = $("live");
    node.textContent = online ? "● Live" : "● Reconnecting…";
    node.classList.toggle("offline", !online);
  }

  function applyState(state) {
    if (state.me !== app.me) return;
    const human = (state.users || []).find((u) => u.id === state.me && !u.is_bot);
    if (!human && state.me !== "U0001") {
      switchUser("U0001");
      return;
    }
    if (app.state && app.version !== null && state.version < app.version) return;
    const changed = !app.state || state.version !== app.version;
    app.state = state;
    app.version = state.version;
    if (changed) render();
  }

  async function loadMeta() {
    try {
      const response = await fetch("/sandbox/meta");
      app.meta = await response.json();
    } catch (err) {
      app.meta = { commands: [], shortcuts: [] };
    }
  }

  // ------------------------------------------------------------------ routing

  function parseHash() {
    const [user, target] = decodeURIComponent(location.hash.replace(/^#/, "")).split("/");
    if (user && /^U[A-Z0-9]+$/.test(user)) app.me = user;
    if (target === "home") app.route = { kind: "home" };
    else if (target && /^[CDG][A-Z0-9]+$/.test(target)) app.route = { kind: "channel", id: target };
  }

  function writeHash() {
    const target = app.route.kind === "home" ? "home" : app.route.id;
    const hash = `#${app.me}/${target}`;
    if (location.hash !== hash) history.replaceState(null, "", hash);
  }

  function currentChannel() {
    return app.route.kind === "channel" ? app.route.id : null;
  }

  function saveComposer() {
    const channel = currentChannel();
    if (channel) app.composerDrafts[`${app.me}/${channel}`] = mainComposer.textarea.value;
  }

  function restoreComposer() {
    const channel = currentChannel();
    mainComposer.textarea.value = (channel && app.composerDrafts[`${app.me}/${channel}`]) || "";
    mainComposer.resize();
    mainComposer.hide();
  }

  function go(route) {
    saveComposer();
    closePopovers();
    app.route = route;
    app.stick = true;
    if (route.kind === "home") {
      app.homeAsked = true;
      app.homeAnswered = false;
      app.homeSig = null;
      act({ act: "home" }).then(() => {
        app.homeAnswered = true;
        render();
      });
    } else if (app.thread && app.thread.channel !== route.id) {
      app.thread = null;
    }
    writeHash();
    restoreComposer();
    render();
    if (route.kind === "channel") mainComposer.textarea.focus();
  }

  function switchUser(userId) {
    if (userId === app.me) return;
    saveComposer();
    closePopovers();
    app.me = userId;
    app.gen += 1;
    app.version = null;
    app.state = null;
    app.thread = null;
    app.seen = {};
    app.modalSig = null;
    app.homeSig = null;
    if (app.pollCtrl) app.pollCtrl.abort();
    writeHash();
    restoreComposer();
    if (app.route.kind === "home") {
      go({ kind: "home" });
    } else {
      refreshState();
    }
  }

  // ------------------------------------------------------------------ rendering

  function render() {
    if (!app.state) return;
    if (app.route.kind === "channel" && !channelsById()[app.route.id]) {
      // Another person's DM (after switching user) or an unknown id: go somewhere sensible.
      const dm = app.state.channels.find((c) => c.is_im);
      const fallback = app.route.id.startsWith("D") && dm ? dm : app.state.channels[0];
      if (fallback) {
        app.route = { kind: "channel", id: fallback.id };
        app.thread = null;
        writeHash();
        restoreComposer();
      }
    }
    renderSidebar();
    if (app.route.kind === "home") {
      renderHome();
    } else {
      renderChannel();
    }
    renderThread();
    renderModal();
  }

  function topLevel(channelId) {
    const messages = (app.state.messages && app.state.messages[channelId]) || [];
    return messages.filter((m) => !m.thread_ts || m.thread_ts === m.ts);
  }

  function renderInstallBanner(state) {
    // A workspace that has not added the bot yet (sandboxes with several workspaces).
    const banner = $("install-banner");
    const install = state.install;
    if (!install || install.installed) {
      banner.hidden = true;
      return;
    }
    const link = el("a", "install-link", "Add to Slack");
    link.href = install.url;
    link.target = "_blank";
    link.rel = "noopener";
    banner.replaceChildren(
      el("span", null, `productops is not installed in ${state.team.name} yet. `),
      link,
      el("span", "install-hint", " (opens the install page; come back here when it says thanks)")
    );
    banner.hidden = false;
  }

  function renderSidebar() {
    const state = app.state;
    $("ws-name").textContent = state.team.name;
    const switcher = $("user-switcher");
    const humans = state.users.filter((u) => !u.is_bot && !u.deleted);
    // With several workspaces, people are grouped by workspace (acting as someone of
    // another workspace switches to it).
    const spaces = state.workspaces || [
      { id: state.team.id, name: state.team.name, people: humans.map((u) => ({ id: u.id, name: u.real_name || u.name })) },
    ];
    const ids = spaces.map((w) => w.id + w.people.map((u) => u.id + u.name).join(",")).join(";");
    if (ids !== app.lastUserIds) {
      const person = (u) => {
        const option = el("option", null, u.name);
        option.value = u.id;
        return option;
      };
      switcher.replaceChildren(
        ...(spaces.length > 1
          ? spaces.map((w) => {
              const group = el("optgroup");
              group.label = w.name;
              group.append(...w.people.map(person));
              return group;
            })
          : spaces[0].people.map(person))
      );
      app.lastUserIds = ids;
    }
    switcher.value = app.me;
    renderInstallBanner(state);
    const meAvatar = $("me-avatar");
    meAvatar.replaceChildren(avatar(app.me, "sm"));

    $("nav-home").classList.toggle("active", app.route.kind === "home");
    const channelList = $("channel-list");
    const dmList = $("dm-list");
    const channels = [];
    const dms = [];
    for (const channel of state.channels) {
      const count = topLevel(channel.id).length;
      if (app.seen[channel.id] === undefined) app.seen[channel.id] = count;
      if (app.route.kind === "channel" && app.route.id === channel.id) app.seen[channel.id] = count;
      const unread = count > app.seen[channel.id];
      const item = el("li");
      const link = el("button", "nav-item");
      link.type = "button";
      link.dataset.channel = channel.id;
      if (app.route.kind === "channel" && app.route.id === channel.id) link.classList.add("active");
      if (unread) link.classList.add("unread");
      if (channel.is_im) {
        const bot = state.bot_user_id;
        const icon = avatar(bot, "xs");
        link.append(icon, el("span", "nav-label", usersById()[bot] ? usersById()[bot].name : "productops"));
        link.appendChild(el("span", "app-badge", "APP"));
        dms.push(item);
      } else {
        link.append(el("span", "nav-hash", "#"), el("span", "nav-label", channel.name));
        channels.push(item);
      }
      link.addEventListener("click", () => go({ kind: "channel", id: channel.id }));
      item.appendChild(link);
    }
    channelList.replaceChildren(...channels);
    dmList.replaceChildren(...dms);
  }

  function renderHeader(channel) {
    const header = $("channel-header");
    header.replaceChildren();
    const title = el("div", "header-title");
    if (!channel) {
      title.textContent = "Channel not found";
    } else if (channel.is_im) {
      title.append(avatar(app.state.bot_user_id, "sm"), el("span", null, "productops"), el("span", "app-badge", "APP"));
    } else {
      title.append(el("span", "header-hash", "#"), el("span", null, channel.name));
      if (channel.topic && channel.topic.value) title.appendChild(el("span", "header-topic", channel.topic.value));
    }
    header.appendChild(title);
    if (channel && !channel.is_im) {
      header.appendChild(el("div", "header-members", `👥 ${channel.num_members || ""}`));
    }
  }

  /** Keep existing nodes whose key and signature did not change (so menus and focus survive). */
  function reconcile(container, items) {
    const existing = new Map();
    for (const child of Array.from(container.children)) existing.set(child.dataset.key, child);
    let previous = null;
    for (const item of items) {
      let node = existing.get(item.key);
      if (!node || node.dataset.sig !== item.sig) {
        const fresh = item.build();
        fresh.dataset.key = item.key;
        fresh.dataset.sig = item.sig;
        if (node) node.replaceWith(fresh);
        node = fresh;
      }
      existing.delete(item.key);
      const wanted = previous ? previous.nextSibling : container.firstChild;
      if (wanted !== node) container.insertBefore(node, wanted);
      previous = node;
    }
    for (const node of existing.values()) node.remove();
  }

  function localFor(channelId, threadTs) {
    return app.local.filter(
      (e) => e.user === app.me && e.channel === channelId && (e.thread_ts || null) === (threadTs || null)
    );
  }

  function channelItems(channelId) {
    const messages = topLevel(channelId).map((m) => ({ kind: "message", m }));
    const ephemerals = (app.state.ephemerals || [])
      .filter((e) => e.channel === channelId && !e.thread_ts && !app.dismissed.has(e.ts))
      .map((e) => ({ kind: "ephemeral", m: e }));
    const local = localFor(channelId, null)
      .filter((e) => !app.dismissed.has(e.ts))
      .map((e) => ({ kind: "ephemeral", m: e }));
    const all = [...messages, ...ephemerals, ...local];
    all.sort((a, b) => parseFloat(a.m.ts) - parseFloat(b.m.ts));
    return all;
  }

  function listItems(entries, channelId, options = {}) {
    const items = [];
    let lastDay = null;
    let previous = null;
    for (const entry of entries) {
      const m = entry.m;
      if (!options.noDays) {
        const day = dayKey(m.ts);
        if (day !== lastDay) {
          const label = dayLabel(m.ts);
          items.push({ key: `day-${day}`, sig: label, build: () => dayDivider(label) });
          lastDay = day;
        }
      }
      const grouped =
        previous &&
        entry.kind === "message" &&
        previous.kind === "message" &&
        previous.m.user === m.user &&
        parseFloat(m.ts) - parseFloat(previous.m.ts) < 300 &&
        !(previous.m.reply_count > 0) &&
        !options.noGroup;
      const key = `${entry.kind === "ephemeral" ? "e" : "m"}-${m.ts}`;
      const sig = JSON.stringify([m, grouped, app.me, options.inThread || false]);
      items.push({ key, sig, build: () => messageNode(entry, channelId, { grouped, inThread: options.inThread }) });
      previous = entry;
      if (options.afterFirst && items.length && entry === entries[0]) {
        const extra = options.afterFirst;
        items.push({ key: extra.key, sig: extra.sig, build: extra.build });
      }
    }
    return items;
  }

  function dayDivider(label) {
    const node = el("div", "day-divider");
    node.appendChild(el("span", null, label));
    return node;
  }

  function renderChannel() {
    $("home-pane").hidden = true;
    $("channel-view").hidden = false;
    const channelId = app.route.id;
    const channel = channelsById()[channelId];
    renderHeader(channel);
    const list = $("messages");
    const pane = $("pane");
    const atBottom = app.stick;
    const items = [];
    if (channel) {
      items.push({ key: `intro-${channelId}`, sig: channelId, build: () => channelIntro(channel) });
      items.push(...listItems(channelItems(channelId), channelId));
    }
    reconcile(list, items);
    mainComposer.textarea.placeholder = channel
      ? channel.is_im ? "Message productops" : `Message #${channel.name}`
      : "Message";
    if (atBottom) pane.scrollTop = pane.scrollHeight;
  }

  function channelIntro(channel) {
    const node = el("div", "channel-intro");
    if (channel.is_im) {
      node.appendChild(avatar(app.state.bot_user_id, "lg"));
      node.appendChild(el("h2", null, "productops"));
      node.appendChild(el("p", null, "This is the very beginning of your direct message history with productops."));
    } else {
      node.appendChild(el("h2", null, `# ${channel.name}`));
      node.appendChild(el("p", null, `This is the very beginning of the #${channel.name} channel.`));
    }
    return node;
  }

  function blockCtx(channelId, ts) {
    return {
      surface: "message",
      users: usersById(),
      channels: channelsById(),
      me: app.me,
      channel: channelId,
      ts,
      confirm: confirmDialog,
      act: (fields) => act({ act: "click", channel: channelId, ts, ...fields }),
    };
  }

  function messageNode(entry, channelId, { grouped = false, inThread = false } = {}) {
    const m = entry.m;
    const ephemeral = entry.kind === "ephemeral";
    const authorId = m.local ? SLACKBOT : ephemeral ? app.state.bot_user_id : m.user;
    const author = usersById()[authorId];
    const node = el("div", "msg");
    node.dataset.ts = m.ts;
    if (grouped) node.classList.add("grouped");
    if (ephemeral) node.classList.add("ephemeral");

    const gutter = el("div", "msg-gutter");
    if (grouped) gutter.appendChild(el("span", "msg-time-hover", timeOf(m.ts)));
    else gutter.appendChild(avatar(authorId));
    node.appendChild(gutter);

    const content = el("div", "msg-content");
    if (ephemeral) {
      const label = el("div", "ephemeral-label");
      label.append(el("span", "eye", "👁"), el("span", null, "Only visible to you"));
      content.appendChild(label);
    }
    if (!grouped) {
      const head = el("div", "msg-head");
      head.appendChild(el("span", "msg-author", displayName(author)));
      if (author && author.is_bot) head.appendChild(el("span", "app-badge", "APP"));
      const time = el("span", "msg-time", timeOf(m.ts));
      time.title = formatTs(m.ts, { dateStyle: "full", timeStyle: "medium" });
      head.appendChild(time);
      content.appendChild(head);
    }
    const body = el("div", "msg-body");
    const ctx = blockCtx(channelId, m.ts);
    if (Array.isArray(m.blocks) && m.blocks.length) {
      body.appendChild(renderBlocks(m.blocks, ctx));
    } else if (m.text) {
      body.appendChild(renderMrkdwn(m.text, ctx));
    }
    if (m.edited) body.appendChild(el("span", "msg-edited", "(edited)"));
    content.appendChild(body);
    if (Array.isArray(m.files) && m.files.length) content.appendChild(filesNode(m.files));
    if (Array.isArray(m.attachments) && m.attachments.length) content.appendChild(attachmentsNode(m.attachments, ctx));
    if (!ephemeral && Array.isArray(m.reactions) && m.reactions.length) {
      content.appendChild(reactionsNode(m, channelId));
    }
    if (!inThread && !ephemeral && m.reply_count > 0) content.appendChild(threadSummary(m, channelId));
    if (ephemeral) {
      const dismiss = el("button", "link-button dismiss", "Dismiss message");
      dismiss.type = "button";
      dismiss.addEventListener("click", () => {
        app.dismissed.add(m.ts);
        render();
      });
      content.appendChild(dismiss);
    }
    node.appendChild(content);
    if (!ephemeral) node.appendChild(actionBar(m, channelId, inThread, node));
    return node;
  }

  function filesNode(files) {
    const box = el("div", "msg-files");
    for (const file of files) {
      const url = String(file.url_private || file.permalink || "");
      const safe = /^(https?:|\/)/i.test(url) ? url : null;
      if (String(file.mimetype || "").startsWith("image/") && safe) {
        const link = el("a", "file-image");
        link.href = safe;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        const img = el("img");
        img.src = safe;
        img.alt = String(file.title || file.name || "image");
        img.addEventListener("load", () => {
          if (app.stick) $("pane").scrollTop = $("pane").scrollHeight;
        });
        link.appendChild(img);
        const caption = el("div", "file-caption", String(file.title || file.name || ""));
        box.append(caption, link);
      } else {
        const card = el(safe ? "a" : "div", "file-card");
        if (safe) {
          card.href = safe;
          card.target = "_blank";
          card.rel = "noopener noreferrer";
        }
        card.append(el("span", "file-icon", "📄"), el("span", null, String(file.title || file.name || file.id)));
        box.appendChild(card);
      }
    }
    return box;
  }

  function attachmentsNode(attachments, ctx) {
    const box = el("div", "msg-attachments");
    for (const a of attachments) {
      const card = el("div", "attachment");
      if (a.color) card.style.borderLeftColor = /^#?[0-9a-f]{3,8}$/i.test(a.color) ? (a.color[0] === "#" ? a.color : "#" + a.color) : "#ddd";
      if (a.title) card.appendChild(el("div", "attachment-title", a.title));
      if (a.text) card.appendChild(renderMrkdwn(a.text, ctx));
      if (Array.isArray(a.blocks)) card.appendChild(renderBlocks(a.blocks, ctx));
      box.appendChild(card);
    }
    return box;
  }

  function reactionsNode(m, channelId) {
    const row = el("div", "reactions");
    const users = usersById();
    for (const reaction of m.reactions) {
      const mine = (reaction.users || []).includes(app.me);
      const pill = el("button", "reaction" + (mine ? " mine" : ""));
      pill.type = "button";
      pill.dataset.name = reaction.name;
      const names = (reaction.users || []).map((id) => displayName(users[id])).join(", ");
      pill.title = `${names} reacted with :${reaction.name}:`;
      pill.append(el("span", "reaction-emoji", emojiGlyph(reaction.name)), el("span", "reaction-count", String(reaction.count)));
      pill.addEventListener("click", () => toggleReaction(channelId, m, reaction.name));
      row.appendChild(pill);
    }
    const add = el("button", "reaction reaction-add", "☺+");
    add.type = "button";
    add.title = "Add reaction";
    add.setAttribute("aria-label", "Add reaction");
    add.addEventListener("click", (event) => {
      event.stopPropagation();
      openPicker(add, channelId, m);
    });
    row.appendChild(add);
    return row;
  }

  function threadSummary(m, channelId) {
    const row = el("button", "thread-summary");
    row.type = "button";
    const faces = el("span", "thread-faces");
    for (const id of (m.reply_users || []).slice(0, 3)) faces.appendChild(avatar(id, "xs"));
    row.appendChild(faces);
    row.appendChild(el("span", "thread-count", `${m.reply_count} ${m.reply_count === 1 ? "reply" : "replies"}`));
    if (m.latest_reply) row.appendChild(el("span", "thread-last", `Last reply ${timeOf(m.latest_reply)}`));
    row.appendChild(el("span", "thread-view", "View thread ›"));
    row.addEventListener("click", () => openThread(channelId, m.ts));
    return row;
  }

  function actionBar(m, channelId, inThread, node) {
    const bar = el("div", "msg-actions");
    const make = (glyph, label, handler) => {
      const b = el("button", "msg-action", glyph);
      b.type = "button";
      b.title = label;
      b.setAttribute("aria-label", label);
      b.addEventListener("click", (event) => {
        event.stopPropagation();
        handler(b);
      });
      bar.appendChild(b);
      return b;
    };
    make("☺", "Add reaction", (b) => {
      openPicker(b, channelId, m);
      node.classList.add("menu-open");
    });
    if (!inThread) make("💬", "Reply in thread", () => openThread(channelId, m.ts));
    make("⋮", "More actions", (b) => {
      openMoreMenu(b, channelId, m);
      node.classList.add("menu-open");
    });
    return bar;
  }

  function placePopover(pop, anchor) {
    document.body.appendChild(pop);
    const rect = anchor.getBoundingClientRect();
    const width = pop.offsetWidth;
    const height = pop.offsetHeight;
    let left = Math.min(rect.right - width, window.innerWidth - width - 8);
    left = Math.max(8, left);
    let top = rect.bottom + 4;
    if (top + height > window.innerHeight - 8) top = Math.max(8, rect.top - height - 4);
    pop.style.left = `${left}px`;
    pop.style.top = `${top}px`;
  }

  function openPicker(anchor, channelId, m) {
    closePopovers();
    const pop = el("div", "popover emoji-picker");
    pop.id = "popover";
    pop.setAttribute("role", "dialog");
    pop.setAttribute("aria-label", "Emoji picker");
    for (const name of PICKER) {
      const b = el("button", "emoji-choice", emojiGlyph(name));
      b.type = "button";
      b.title = `:${name}:`;
      b.setAttribute("aria-label", `:${name}:`);
      b.dataset.name = name;
      b.addEventListener("click", (event) => {
        event.stopPropagation();
        closePopovers();
        const reaction = (m.reactions || []).find((r) => r.name === name);
        const mine = reaction && (reaction.users || []).includes(app.me);
        act({ act: mine ? "unreact" : "react", channel: channelId, ts: m.ts, name });
      });
      pop.appendChild(b);
    }
    placePopover(pop, anchor);
  }

  function openMoreMenu(anchor, channelId, m) {
    closePopovers();
    const pop = el("div", "popover menu");
    pop.id = "popover";
    pop.setAttribute("role", "menu");
    const shortcuts = (app.meta.shortcuts || []).filter((s) => s.type === "message");
    if (!shortcuts.length) pop.appendChild(el("div", "menu-empty", "No message shortcuts"));
    else pop.appendChild(el("div", "menu-heading", "productops"));
    for (const shortcut of shortcuts) {
      const item = el("button", "menu-item");
      item.type = "button";
      item.setAttribute("role", "menuitem");
      item.append(el("span", "menu-item-name", shortcut.name));
      if (shortcut.description) item.append(el("span", "menu-item-desc", shortcut.description));
      item.addEventListener("click", (event) => {
        event.stopPropagation();
        closePopovers();
        act({ act: "shortcut", channel: channelId, ts: m.ts, callback_id: shortcut.callback_id });
      });
      pop.appendChild(item);
    }
    placePopover(pop, anchor);
  }

  function toggleReaction(channelId, m, name) {
    const reaction = (m.reactions || []).find((r) => r.name === name);
    const mine = reaction && (reaction.users || []).includes(app.me);
    act({ act: mine ? "unreact" : "react", channel: channelId, ts: m.ts, name });
  }

  // ------------------------------------------------------------------ threads

  function openThread(channelId, ts) {
    closePopovers();
    app.thread = { channel: channelId, ts };
    app.threadStick = true;
    render();
    threadComposer.textarea.focus();
  }

  function renderThread() {
    const panel = $("thread");
    const thread = app.thread;
    const messages = thread ? (app.state.messages[thread.channel] || []) : [];
    const parent = thread ? messages.find((m) => m.ts === thread.ts) : null;
    if (!thread || !parent || app.route.kind !== "channel") {
      panel.hidden = true;
      document.body.classList.remove("with-thread");
      return;
    }
    panel.hidden = false;
    document.body.classList.add("with-thread");
    const channel = channelsById()[thread.channel];
    $("thread-channel").textContent = channel ? (channel.is_im ? "productops" : `#${channel.name}`) : "";
    const replies = messages
      .filter((m) => m.thread_ts === thread.ts && m.ts !== thread.ts)
      .map((m) => ({ kind: "message", m }));
    const ephemerals = (app.state.ephemerals || [])
      .filter((e) => e.channel === thread.channel && e.thread_ts === thread.ts && !app.dismissed.has(e.ts))
      .map((e) => ({ kind: "ephemeral", m: e }));
    const local = localFor(thread.channel, thread.ts).map((e) => ({ kind: "ephemeral", m: e }));
    const rest = [...replies, ...ephemerals, ...local].sort((a, b) => parseFloat(a.m.ts) - parseFloat(b.m.ts));
    const count = replies.length;
    const items = listItems([{ kind: "message", m: parent }, ...rest], thread.channel, {
      noDays: true,
      inThread: true,
      afterFirst: {
        key: "replies-divider",
        sig: String(count),
        build: () => {
          const node = el("div", "replies-divider");
          node.appendChild(el("span", null, count ? `${count} ${count === 1 ? "reply" : "replies"}` : "No replies yet"));
          return node;
        },
      },
    });
    const list = $("thread-messages");
    const scroller = $("thread-scroll");
    const atBottom = app.threadStick;
    reconcile(list, items);
    if (atBottom) scroller.scrollTop = scroller.scrollHeight;
  }

  // ------------------------------------------------------------------ App Home

  function renderHome() {
    $("channel-view").hidden = true;
    const pane = $("home-pane");
    pane.hidden = false;
    const home = app.state.home;
    const sig = JSON.stringify([home, app.homeAnswered, app.me]);
    if (sig === app.homeSig) return;
    app.homeSig = sig;
    const header = $("home-header");
    header.replaceChildren(avatar(app.state.bot_user_id, "md"), el("span", "home-name", "productops"), el("span", "app-badge", "APP"));
    const tabs = el("div", "home-tabs");
    const homeTab = el("button", "home-tab active", "Home");
    homeTab.type = "button";
    const messagesTab = el("button", "home-tab", "Messages");
    messagesTab.type = "button";
    messagesTab.addEventListener("click", () => {
      const dm = app.state.channels.find((c) => c.is_im);
      if (dm) go({ kind: "channel", id: dm.id });
    });
    tabs.append(homeTab, messagesTab);
    header.appendChild(tabs);
    const body = $("home-body");
    if (!home) {
      const text = app.homeAnswered ? "productops hasn't published a Home tab for you yet." : "Loading…";
      body.replaceChildren(el("div", "home-empty", text));
      return;
    }
    const ctx = viewCtx(home);
    body.replaceChildren(renderBlocks(home.blocks, ctx));
  }

  // ------------------------------------------------------------------ modals

  function viewCtx(view) {
    const drafts = (app.drafts[view.id] = app.drafts[view.id] || {});
    const saved = (view.state && view.state.values) || {};
    return {
      surface: view.type === "home" ? "home" : "modal",
      users: usersById(),
      channels: channelsById(),
      me: app.me,
      viewId: view.id,
      errors: view._errors || {},
      fields: [],
      confirm: confirmDialog,
      initial: (blockId, actionId) => {
        const key = `${blockId}/${actionId}`;
        if (key in drafts) return drafts[key];
        return saved[blockId] ? saved[blockId][actionId] : undefined;
      },
      draft: (blockId, actionId, state) => {
        drafts[`${blockId}/${actionId}`] = state;
      },
      act: (fields) => act({ act: "click", view_id: view.id, ...fields }),
    };
  }

  function isEmptyState(state) {
    return Object.entries(state).every(([key, value]) => {
      if (key === "type") return true;
      if (Array.isArray(value)) return value.length === 0;
      return value === null || value === undefined || value === "";
    });
  }

  function renderModal() {
    const root = $("modal-root");
    const views = (app.state && app.state.views) || [];
    if (!views.length) {
      if (root.firstChild) root.replaceChildren();
      app.modalSig = null;
      return;
    }
    const view = views[views.length - 1];
    const sig = JSON.stringify([views.map((v) => v.id), view.hash, view.title, view.blocks, view.submit, view.close, view._errors]);
    if (sig === app.modalSig) return;
    const previousId = app.modalSig ? JSON.parse(app.modalSig)[0].slice(-1)[0] : null;
    const active = document.activeElement;
    const focusKey = active && root.contains(active) ? active.dataset.key : null;
    app.modalSig = sig;

    const ctx = viewCtx(view);
    const backdrop = el("div", "modal-backdrop");
    const modal = el("div", "modal");
    modal.setAttribute("role", "dialog");
    modal.setAttribute("aria-modal", "true");
    modal.dataset.viewId = view.id;
    const head = el("div", "modal-head");
    if (views.length > 1) {
      const back = el("button", "modal-icon", "‹");
      back.type = "button";
      back.title = "Back";
      back.setAttribute("aria-label", "Back");
      back.addEventListener("click", () => act({ act: "close", view_id: view.id }));
      head.appendChild(back);
    }
    const title = el("h2", "modal-title", plainOf(view.title));
    head.appendChild(title);
    modal.setAttribute("aria-label", plainOf(view.title));
    const x = el("button", "modal-icon modal-x", "×");
    x.type = "button";
    x.title = "Close";
    x.setAttribute("aria-label", "Close");
    x.addEventListener("click", () => act({ act: "close", view_id: views[0].id }));
    head.appendChild(x);
    modal.appendChild(head);

    const body = el("div", "modal-body");
    const errors = view._errors || {};
    const general = errors[""];
    const unknown = Object.keys(errors).filter((k) => k && !(view.blocks || []).some((b, i) => (b.block_id || `b${i}`) === k));
    if (general || unknown.length) {
      const banner = el("div", "modal-banner");
      banner.setAttribute("role", "alert");
      banner.textContent = [general, ...unknown.map((k) => `${k}: ${errors[k]}`)].filter(Boolean).join("\n");
      body.appendChild(banner);
    }
    body.appendChild(renderBlocks(view.blocks, ctx));
    modal.appendChild(body);

    const foot = el("div", "modal-foot");
    const cancel = el("button", "btn", plainOf(view.close) || "Cancel");
    cancel.type = "button";
    cancel.addEventListener("click", () => act({ act: "close", view_id: view.id }));
    foot.appendChild(cancel);
    if (view.submit) {
      const submit = el("button", "btn btn-primary", plainOf(view.submit));
      submit.type = "button";
      submit.addEventListener("click", () => submitView(view, ctx, submit));
      foot.appendChild(submit);
    }
    modal.appendChild(foot);
    backdrop.appendChild(modal);
    root.replaceChildren(backdrop);

    const target = focusKey ? modal.querySelector(`[data-key="${CSS.escape(focusKey)}"]`) : null;
    if (target) target.focus();
    else if (previousId !== view.id) {
      const first = modal.querySelector(".bk-input-block input, .bk-input-block textarea, .bk-input-block select");
      if (first) first.focus();
    }
  }

  async function submitView(view, ctx, button) {
    const values = {};
    let firstBad = null;
    for (const field of ctx.fields) {
      const state = field.read();
      (values[field.blockId] = values[field.blockId] || {})[field.actionId] = state;
      if (!field.inInput || !field.errorNode) continue;
      let problem = "";
      if (!field.optional && isEmptyState(state)) problem = "Please complete this required field.";
      else if (field.minLength && state.value && state.value.length < field.minLength) {
        problem = `Please enter at least ${field.minLength} characters.`;
      }
      if (!(view._errors && view._errors[field.blockId]) || problem) {
        field.errorNode.textContent = problem;
        field.blockNode.classList.toggle("has-error", !!problem);
      }
      if (problem && !firstBad) firstBad = field.blockNode;
    }
    if (firstBad) {
      const control = firstBad.querySelector("input, textarea, select");
      if (control) control.focus();
      return;
    }
    button.disabled = true;
    button.textContent = "Submitting…";
    await act({ act: "submit", view_id: view.id, values });
    if (button.isConnected) {
      button.disabled = false;
      button.textContent = plainOf(view.submit);
    }
  }

  function confirmDialog(confirm) {
    return new Promise((resolve) => {
      const backdrop = el("div", "modal-backdrop confirm-backdrop");
      const box = el("div", "modal confirm");
      box.setAttribute("role", "alertdialog");
      box.setAttribute("aria-modal", "true");
      const head = el("div", "modal-head");
      head.appendChild(el("h2", "modal-title", plainOf(confirm.title) || "Are you sure?"));
      box.appendChild(head);
      const body = el("div", "modal-body");
      body.appendChild(renderText(confirm.text || { type: "plain_text", text: "" }, blockCtx(null, null), "div"));
      box.appendChild(body);
      const foot = el("div", "modal-foot");
      const deny = el("button", "btn", plainOf(confirm.deny) || "Cancel");
      deny.type = "button";
      const ok = el("button", "btn " + (confirm.style === "danger" ? "btn-danger" : "btn-primary"), plainOf(confirm.confirm) || "Yes");
      ok.type = "button";
      const done = (answer) => {
        backdrop.remove();
        document.removeEventListener("keydown", onKey, true);
        resolve(answer);
      };
      const onKey = (event) => {
        if (event.key === "Escape") {
          event.stopPropagation();
          done(false);
        }
      };
      document.addEventListener("keydown", onKey, true);
      deny.addEventListener("click", () => done(false));
      ok.addEventListener("click", () => done(true));
      foot.append(deny, ok);
      box.appendChild(foot);
      backdrop.appendChild(box);
      $("confirm-root").appendChild(backdrop);
      ok.focus();
    });
  }

  // ------------------------------------------------------------------ composer

  function escapeOutgoing(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  /** What Slack's client does to typed text: escape &<>, then turn @names, #channels, URLs into markup. */
  function encodeOutgoing(text, { labels = false } = {}) {
    const users = (app.state && app.state.users) || [];
    const channels = ((app.state && app.state.channels) || []).filter((c) => !c.is_im);
    let out = escapeOutgoing(text);
    out = out.replace(/(^|[\s(])@([A-Za-z0-9._-]+)/g, (whole, lead, name) => {
      const lower = name.toLowerCase().replace(/[.]+$/, "");
      if (["here", "channel", "everyone"].includes(lower)) return `${lead}<!${lower}>`;
      const user = users.find((u) => u.name.toLowerCase() === lower);
      if (!user) return whole;
      const rest = name.slice(lower.length);
      return `${lead}<@${user.id}${labels ? "|" + user.name : ""}>${rest}`;
    });
    out = out.replace(/(^|[\s(])#([a-z0-9_-]+)/g, (whole, lead, name) => {
      const channel = channels.find((c) => c.name === name);
      return channel ? `${lead}<#${channel.id}|${channel.name}>` : whole;
    });
    out = out.replace(/(^|[\s(])(https?:\/\/[^\s<>]+?)(?=[.,!?)]*(\s|$))/g, (whole, lead, url) => `${lead}<${url}>`);
    return out;
  }

  function addLocal(channelId, threadTs, text) {
    const now = Date.now() / 1000;
    app.local.push({
      ts: now.toFixed(6),
      channel: channelId,
      thread_ts: threadTs || undefined,
      user: app.me,
      text,
      local: true,
    });
    render();
  }

  function makeComposer(root, { onSend }) {
    const textarea = root.querySelector("textarea");
    const popup = root.querySelector(".autocomplete");
    const sendButton = root.querySelector(".send");
    let items = [];
    let active = 0;

    function resize() {
      textarea.style.height = "auto";
      textarea.style.height = `${Math.min(textarea.scrollHeight, 200)}px`;
      sendButton.disabled = !textarea.value.trim();
    }

    function hide() {
      popup.hidden = true;
      items = [];
    }

    function show(list, kind) {
      items = list;
      if (!items.length) {
        hide();
        return;
      }
      active = Math.min(active, items.length - 1);
      popup.replaceChildren();
      const heading = el("div", "ac-heading", kind === "command" ? "Commands matching" : "People");
      popup.appendChild(heading);
      items.forEach((item, index) => {
        const row = el("div", "ac-item" + (index === active ? " active" : ""));
        row.setAttribute("role", "option");
        if (item.kind === "command") {
          const top = el("div", "ac-top");
          top.append(el("span", "ac-command", item.command.command));
          if (item.command.usage_hint) top.append(el("span", "ac-hint", item.command.usage_hint));
          row.append(top, el("div", "ac-desc", item.command.description || ""));
          const app_ = el("span", "ac-app", "productops");
          row.appendChild(app_);
        } else {
          row.append(avatar(item.user.id, "xs"), el("span", "ac-command", item.user.real_name || item.user.name), el("span", "ac-hint", "@" + item.user.name));
        }
        row.addEventListener("mousedown", (event) => {
          event.preventDefault();
          pick(index);
        });
        popup.appendChild(row);
      });
      popup.hidden = false;
    }

    function suggest() {
      const value = textarea.value;
      const caret = textarea.selectionStart;
      const command = /^\/(\S*)$/.exec(value);
      if (command && caret === value.length) {
        const word = "/" + command[1].toLowerCase();
        const list = (app.meta.commands || [])
          .filter((c) => c.command.startsWith(word))
          .map((c) => ({ kind: "command", command: c }));
        show(list, "command");
        return;
      }
      const mention = /(^|\s)@([\w.-]*)$/.exec(value.slice(0, caret));
      if (mention && app.state) {
        const q = mention[2].toLowerCase();
        const list = app.state.users
          .filter((u) => !u.deleted && (u.name.startsWith(q) || (u.real_name || "").toLowerCase().startsWith(q)))
          .map((u) => ({ kind: "user", user: u, start: caret - mention[2].length - 1 }));
        show(list, "user");
        return;
      }
      hide();
    }

    function pick(index) {
      const item = items[index];
      if (!item) return;
      if (item.kind === "command") {
        textarea.value = item.command.command + " ";
      } else {
        const value = textarea.value;
        const caret = textarea.selectionStart;
        const insert = "@" + item.user.name + " ";
        textarea.value = value.slice(0, item.start) + insert + value.slice(caret);
        const position = item.start + insert.length;
        textarea.setSelectionRange(position, position);
      }
      hide();
      resize();
      textarea.focus();
    }

    async function send() {
      const text = textarea.value;
      if (!text.trim()) return;
      textarea.value = "";
      resize();
      hide();
      const ok = await onSend(text);
      if (ok === false && !textarea.value) {
        textarea.value = text;
        resize();
      }
    }

    textarea.addEventListener("input", () => {
      active = 0;
      resize();
      suggest();
    });
    textarea.addEventListener("click", suggest);
    textarea.addEventListener("blur", () => setTimeout(hide, 150));
    textarea.addEventListener("keydown", (event) => {
      if (event.isComposing) return;
      if (!popup.hidden && items.length) {
        if (event.key === "ArrowDown" || event.key === "ArrowUp") {
          event.preventDefault();
          active = (active + (event.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
          show(items, items[0].kind);
          return;
        }
        if (event.key === "Enter" || event.key === "Tab") {
          const item = items[active];
          const exact = item && item.kind === "command" && textarea.value.trim() === item.command.command && event.key === "Enter";
          if (!exact) {
            event.preventDefault();
            pick(active);
            return;
          }
        }
        if (event.key === "Escape") {
          event.preventDefault();
          hide();
          return;
        }
      }
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        send();
      }
    });
    sendButton.addEventListener("click", send);
    resize();
    return { textarea, resize, hide, send };
  }

  async function sendMain(text) {
    const channelId = currentChannel();
    if (!channelId) return false;
    app.stick = true;
    const trimmed = text.trim();
    if (trimmed.startsWith("/")) {
      const word = trimmed.split(/\s+/)[0];
      if (!(app.meta.commands || []).some((c) => c.command === word)) {
        addLocal(
          channelId,
          null,
          `\`${word}\` is not a valid command. In Slack, all messages that start with the "/" character are interpreted as commands.\n\nIf you are trying to send a message and not run a command, try preceding the "/" with an empty space.`
        );
        return true;
      }
      const data = await act({ act: "command", channel: channelId, text: encodeOutgoing(trimmed, { labels: true }) });
      return data.ok;
    }
    const data = await act({ act: "message", channel: channelId, text: encodeOutgoing(text.replace(/\s+$/, "")) });
    return data.ok;
  }

  async function sendThread(text) {
    const thread = app.thread;
    if (!thread) return false;
    app.threadStick = true;
    const trimmed = text.trim();
    if (trimmed.startsWith("/")) {
      const word = trimmed.split(/\s+/)[0];
      addLocal(thread.channel, thread.ts, `${word} is not supported in threads. Sorry!`);
      return true;
    }
    const data = await act({ act: "message", channel: thread.channel, text: encodeOutgoing(text.replace(/\s+$/, "")), thread_ts: thread.ts });
    return data.ok;
  }

  // ------------------------------------------------------------------ start

  let mainComposer;
  let threadComposer;

  function start() {
    parseHash();
    mainComposer = makeComposer($("composer"), { onSend: sendMain });
    threadComposer = makeComposer($("thread-composer"), { onSend: sendThread });
    writeHash();

    $("user-switcher").addEventListener("change", (event) => switchUser(event.target.value));
    $("nav-home").addEventListener("click", () => go({ kind: "home" }));
    $("thread-close").addEventListener("click", () => {
      app.thread = null;
      render();
    });
    $("pane").addEventListener("scroll", () => {
      const pane = $("pane");
      app.stick = pane.scrollHeight - pane.scrollTop - pane.clientHeight < 60;
    });
    $("thread-scroll").addEventListener("scroll", () => {
      const s = $("thread-scroll");
      app.threadStick = s.scrollHeight - s.scrollTop - s.clientHeight < 60;
    });
    $("try-it").addEventListener("click", () => {
      if (app.route.kind !== "channel") go({ kind: "channel", id: "C0001" });
      mainComposer.textarea.value = "/feedback CSV export times out #export";
      mainComposer.resize();
      mainComposer.textarea.focus();
    });
    document.addEventListener("click", (event) => {
      const pop = $("popover");
      if (pop && !pop.contains(event.target)) closePopovers();
      document.querySelectorAll(".popover-menu.open").forEach((m) => {
        if (!m.parentNode.contains(event.target)) m.classList.remove("open");
      });
    });
    document.addEventListener("keydown", (event) => {
      if (event.key !== "Escape") return;
      if ($("popover") || document.querySelector(".popover-menu.open")) {
        closePopovers();
        return;
      }
      const views = (app.state && app.state.views) || [];
      if (views.length && !document.querySelector(".confirm-backdrop")) {
        act({ act: "close", view_id: views[views.length - 1].id });
      }
    });
    window.addEventListener("hashchange", () => {
      const before = app.me;
      parseHash();
      if (app.me !== before) {
        const next = app.me;
        app.me = before;
        switchUser(next);
      } else {
        go(app.route);
      }
    });
    window.addEventListener("resize", closePopovers);

    loadMeta().then(() => {
      if (app.route.kind === "home") go({ kind: "home" });
      pollLoop();
    });
  }

  window.SBApp = { app, encodeOutgoing };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
