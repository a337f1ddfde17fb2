/* Slack mrkdwn and emoji, rendered safely: every piece of text becomes a DOM text node.
 *
 * Nothing here ever assigns innerHTML. Slack escapes &, < and > in message text as
 * &amp; &lt; &gt;; real markup is <...>. We find the markup first, then decode the entities
 * of what is left and show it as text, so "<img onerror>" or "&lt;b&gt;" is shown literally.
 */
(function () {
  "use strict";

  const EMOJI = {
    mirror: "\u{1FA9E}", white_square: "\u2B1C", sunrise: "\u{1F305}", arrow_up_small: "\u{1F53C}",
    "+1": "👍", thumbsup: "👍", "-1": "👎", thumbsdown: "👎",
    inbox_tray: "📥", outbox_tray: "📤", tada: "🎉", eyes: "👀", heart: "❤️",
    white_check_mark: "✅", heavy_check_mark: "✔️", ballot_box_with_check: "☑️", x: "❌",
    red_circle: "🔴", large_blue_circle: "🔵", blue_circle: "🔵", white_circle: "⚪",
    black_circle: "⚫", large_green_circle: "🟢", green_circle: "🟢",
    large_yellow_circle: "🟡", yellow_circle: "🟡", large_orange_circle: "🟠",
    orange_circle: "🟠", large_purple_circle: "🟣",
    warning: "⚠️", calendar: "📆", date: "📅", spiral_calendar_pad: "🗓️",
    bar_chart: "📊", memo: "📝", pencil: "📝", pencil2: "✏️", rocket: "🚀", bulb: "💡",
    clipboard: "📋", chart_with_upwards_trend: "📈", chart_with_downwards_trend: "📉",
    hourglass: "⌛", hourglass_flowing_sand: "⏳", alarm_clock: "⏰", stopwatch: "⏱️",
    clock1: "🕐", clock9: "🕘", smile: "😄", smiley: "😃", grinning: "😀", joy: "😂",
    slightly_smiling_face: "🙂", wink: "😉", thinking_face: "🤔", confused: "😕",
    cry: "😢", sweat_smile: "😅", sunglasses: "😎", raised_hands: "🙌", clap: "👏",
    pray: "🙏", wave: "👋", muscle: "💪", ok_hand: "👌", point_right: "👉",
    point_up: "☝️", fire: "🔥", star: "⭐", star2: "🌟", sparkles: "✨", zap: "⚡",
    boom: "💥", 100: "💯", mag: "🔍", link: "🔗", lock: "🔒", key: "🔑", bell: "🔔",
    speech_balloon: "💬", thought_balloon: "💭", busts_in_silhouette: "👥",
    bust_in_silhouette: "👤", house: "🏠", gear: "⚙️", wrench: "🔧",
    hammer_and_wrench: "🛠️", package: "📦", moneybag: "💰", dollar: "💵",
    money_with_wings: "💸", credit_card: "💳", arrow_up: "⬆️", arrow_down: "⬇️",
    arrow_right: "➡️", arrow_left: "⬅️", arrows_counterclockwise: "🔄", repeat: "🔁",
    recycle: "♻️", bug: "🐛", construction: "🚧", no_entry: "⛔",
    no_entry_sign: "🚫", question: "❓", grey_question: "❔", exclamation: "❗",
    heavy_exclamation_mark: "❗", information_source: "ℹ️", robot_face: "🤖",
    checkered_flag: "🏁", dart: "🎯", trophy: "🏆", medal: "🏅", brain: "🧠",
    books: "📚", book: "📖", bookmark: "🔖", label: "🏷️", pushpin: "📌",
    round_pushpin: "📍", paperclip: "📎", scroll: "📜", newspaper: "📰", mega: "📣",
    loudspeaker: "📢", envelope: "✉️", email: "📧", incoming_envelope: "📨",
    mailbox: "📫", file_folder: "📁", open_file_folder: "📂", card_index: "📇",
    calendar_spiral: "🗓️", sun_with_face: "🌞", sunny: "☀️", cloud: "☁️",
    umbrella: "☔", snowflake: "❄️", coffee: "☕", pizza: "🍕", cake: "🍰",
    seedling: "🌱", herb: "🌿", evergreen_tree: "🌲", earth_africa: "🌍",
    globe_with_meridians: "🌐", triangular_flag_on_post: "🚩", flag_white: "🏳️",
    stop_sign: "🛑", traffic_light: "🚥", vertical_traffic_light: "🚦",
    heavy_plus_sign: "➕", heavy_minus_sign: "➖", heavy_multiplication_x: "✖️",
    arrow_forward: "▶️", fast_forward: "⏩", rewind: "⏪", pause_button: "⏸️",
    white_large_square: "⬜", black_large_square: "⬛", large_blue_square: "🟦",
    green_heart: "💚", blue_heart: "💙", purple_heart: "💜", yellow_heart: "💛",
    broken_heart: "💔", thumbsup_all: "👍", handshake: "🤝", writing_hand: "✍️",
    telescope: "🔭", microscope: "🔬", test_tube: "🧪", crystal_ball: "🔮",
    magic_wand: "🪄", balloon: "🎈", gift: "🎁", confetti_ball: "🎊",
    partying_face: "🥳", sleeping: "😴", zzz: "💤", skull: "💀", ghost: "👻",
    see_no_evil: "🙈", ear: "👂", hand: "✋", raised_hand: "✋", v: "✌️",
    crossed_fingers: "🤞", pinched_fingers: "🤌", people_holding_hands: "🧑‍🤝‍🧑",
    compass: "🧭", world_map: "🗺️", hourglass_done: "⌛", keyboard: "⌨️",
    computer: "💻", iphone: "📱", desktop_computer: "🖥️", floppy_disk: "💾",
    chart: "💹", abacus: "🧮", scales: "⚖️", shield: "🛡️", anchor: "⚓",
    new: "🆕", free: "🆓", up: "🆙", cool: "🆒", ok: "🆗", sos: "🆘", twisted_rightwards_arrows: "🔀",
    white_circle_check: "✅", closed_book: "📕", green_book: "📗", ledger: "📒",
    inbox: "📥", archive: "🗃️", file_cabinet: "🗄️", wastebasket: "🗑️", hammer: "🔨",
    pencil_paper: "📝", bookmark_tabs: "📑", page_facing_up: "📄", receipt: "🧾",
  };

  /** The Unicode emoji for a Slack name, or null. */
  function emojiFor(name) {
    const key = String(name).replace(/::skin-tone-\d$/, "");
    return Object.prototype.hasOwnProperty.call(EMOJI, key) ? EMOJI[key] : null;
  }

  /** Replace :name: with Unicode emoji in a plain string (unknown names stay as they are). */
  function emojify(text) {
    return String(text).replace(/:([a-z0-9_+'-]+):/gi, (whole, name) => {
      const found = emojiFor(name.toLowerCase());
      return found === null ? whole : found;
    });
  }

  /** Slack's three entities back to characters (for display as text only). */
  function decodeEntities(text) {
    return String(text).replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  /** A text node (entities decoded, emoji converted). */
  function textNode(raw, ctx, { emoji = true } = {}) {
    let text = decodeEntities(raw);
    if (emoji) text = emojify(text);
    return document.createTextNode(text);
  }

  function safeHref(url) {
    const decoded = decodeEntities(url).trim();
    if (/^(https?:|mailto:)/i.test(decoded)) return decoded;
    return null;
  }

  function userName(ctx, id) {
    const user = ctx && ctx.users ? ctx.users[id] : null;
    if (!user) return null;
    return user.is_bot ? user.name : user.real_name || user.name;
  }

  function channelName(ctx, id) {
    const channel = ctx && ctx.channels ? ctx.channels[id] : null;
    return channel && !channel.is_im ? channel.name : null;
  }

  /** One <...> token of Slack markup as a node, or null if it is not markup. */
  function specialToken(body, ctx) {
    const bar = body.indexOf("|");
    const target = bar >= 0 ? body.slice(0, bar) : body;
    const label = bar >= 0 ? body.slice(bar + 1) : "";
    if (/^@[UW][A-Z0-9]+$/.test(target)) {
      const id = target.slice(1);
      const name = userName(ctx, id) || (label ? decodeEntities(label) : id);
      const node = el("span", "mention", "@" + name);
      node.dataset.user = id;
      if (ctx && id === ctx.me) node.classList.add("mention-me");
      return node;
    }
    if (/^#[CGD][A-Z0-9]+$/.test(target)) {
      const id = target.slice(1);
      const name = label ? decodeEntities(label) : channelName(ctx, id) || id;
      const node = el("span", "mention mention-channel", "#" + name);
      node.dataset.channel = id;
      return node;
    }
    if (target.startsWith("!")) {
      const word = target.slice(1);
      if (["here", "channel", "everyone"].includes(word)) {
        return el("span", "mention mention-broadcast", "@" + word);
      }
      if (word.startsWith("subteam^")) {
        return el("span", "mention", label ? decodeEntities(label) : "@group");
      }
      if (word.startsWith("date^")) {
        return document.createTextNode(label ? decodeEntities(label) : word.split("^")[1]);
      }
      return null;
    }
    const href = safeHref(target);
    if (href) {
      const link = el("a", "link");
      link.href = href;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      link.textContent = label ? emojify(decodeEntities(label)) : href.replace(/^mailto:/i, "");
      return link;
    }
    return null;
  }

  const WORD = /[\p{L}\p{N}]/u;
  const FORMATS = { "*": "b", _: "i", "~": "s" };

  /** Where the span opened at `start` by `mark` closes, or -1. */
  function findClose(text, start, mark) {
    for (let j = start + 2; j < text.length; j++) {
      const c = text[j];
      if (c === "\n") return -1;
      if (c !== mark) continue;
      if (/\s/.test(text[j - 1])) continue;
      const after = text[j + 1];
      if (after !== undefined && WORD.test(after)) continue;
      return j;
    }
    return -1;
  }

  /** Inline mrkdwn (one paragraph) into `parent`. */
  function renderInline(text, ctx, parent) {
    let plain = "";
    const flush = () => {
      if (plain) parent.appendChild(textNode(plain, ctx));
      plain = "";
    };
    let i = 0;
    while (i < text.length) {
      const c = text[i];
      if (c === "<") {
        const close = text.indexOf(">", i + 1);
        const inner = close > i ? text.slice(i + 1, close) : "";
        if (close > i + 1 && !inner.includes("<")) {
          const node = specialToken(inner, ctx);
          if (node) {
            flush();
            parent.appendChild(node);
            i = close + 1;
            continue;
          }
        }
      } else if (c === "`") {
        const close = text.indexOf("`", i + 1);
        if (close > i + 1) {
          flush();
          const code = el("code", "inline-code");
          code.textContent = decodeEntities(text.slice(i + 1, close));
          parent.appendChild(code);
          i = close + 1;
          continue;
        }
      } else if (FORMATS[c]) {
        const before = i === 0 ? "" : text[i - 1];
        const next = text[i + 1];
        const boundary = !before || !WORD.test(before);
        if (boundary && next !== undefined && !/\s/.test(next) && next !== c) {
          const close = findClose(text, i, c);
          if (close > 0) {
            flush();
            const node = el(FORMATS[c]);
            renderInline(text.slice(i + 1, close), ctx, node);
            parent.appendChild(node);
            i = close + 1;
            continue;
          }
        }
      }
      plain += c;
      i++;
    }
    flush();
  }

  /** Lines of text into `parent`, with `>` quote lines grouped into blockquotes. */
  function renderLines(text, ctx, parent) {
    const lines = text.split("\n");
    let buffer = [];
    let quote = [];
    const flushText = () => {
      if (!buffer.length) return;
      const span = el("span", "md-para");
      renderInline(buffer.join("\n"), ctx, span);
      parent.appendChild(span);
      buffer = [];
    };
    const flushQuote = () => {
      if (!quote.length) return;
      const block = el("blockquote", "md-quote");
      renderInline(quote.join("\n"), ctx, block);
      parent.appendChild(block);
      quote = [];
    };
    for (const line of lines) {
      const match = /^(?:>|&gt;)\s?(.*)$/.exec(line);
      if (match) {
        flushText();
        quote.push(match[1]);
      } else {
        flushQuote();
        buffer.push(line);
      }
    }
    flushText();
    flushQuote();
  }

  /** Render Slack mrkdwn into a new element (class "mrkdwn"). */
  function renderMrkdwn(text, ctx, tag = "div") {
    const root = el(tag, "mrkdwn");
    const source = String(text == null ? "" : text);
    const parts = source.split("```");
    if (parts.length % 2 === 0) {
      const tail = parts.pop();
      parts[parts.length - 1] += "```" + tail;
    }
    parts.forEach((part, index) => {
      if (index % 2 === 1) {
        const pre = el("pre", "md-pre");
        pre.textContent = decodeEntities(part.replace(/^\n/, "").replace(/\n$/, ""));
        root.appendChild(pre);
        return;
      }
      let chunk = part;
      if (index > 0) chunk = chunk.replace(/^\n/, "");
      if (index < parts.length - 1) chunk = chunk.replace(/\n$/, "");
      if (chunk) renderLines(chunk, ctx, root);
    });
    return root;
  }

  /** A Block Kit text object: mrkdwn, or plain_text (emoji converted unless emoji:false). */
  function renderText(obj, ctx, tag = "span") {
    if (obj == null) return el(tag);
    if (typeof obj === "string") return renderMrkdwn(obj, ctx, tag);
    if (obj.type === "mrkdwn") {
      // verbatim only turns off Slack's automatic linking of bare names and URLs, which
      // this renderer never does: formatting and <...> markup render the same either way.
      return renderMrkdwn(obj.text || "", ctx, tag);
    }
    const text = String(obj.text == null ? "" : obj.text);
    return el(tag, "plain", obj.emoji === false ? text : emojify(text));
  }

  /** A plain string for a text object (for <option> labels, titles...). */
  function plainOf(obj) {
    if (obj == null) return "";
    if (typeof obj === "string") return emojify(decodeEntities(obj));
    const text = String(obj.text == null ? "" : obj.text);
    if (obj.type === "mrkdwn") return emojify(decodeEntities(text.replace(/[*_~`]/g, "")));
    return obj.emoji === false ? text : emojify(text);
  }

  window.SBText = { EMOJI, emojiFor, emojify, decodeEntities, renderMrkdwn, renderText, plainOf, el };
})();
