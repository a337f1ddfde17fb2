/* Block Kit, rendered with DOM nodes only (text always goes through textContent).
 *
 * renderBlocks(blocks, ctx) -> element. The ctx says where the blocks live and what to do:
 *   ctx.surface      "message" | "modal" | "home"
 *   ctx.users / ctx.channels / ctx.me   for mentions and selects
 *   ctx.act(fields)  send a block action: {action_id, block_id, value?, selected?}
 *   ctx.confirm(obj) a Promise<boolean> for confirmation dialogs
 *   ctx.initial(block_id, action_id) -> a saved Slack state for an input, or undefined
 *   ctx.draft(block_id, action_id, state)  remember what was typed or picked
 *   ctx.errors       {block_id: message} validation errors shown under input blocks
 *   ctx.fields       [] filled with the stateful inputs, for collecting a view's state
 */
(function () {
  "use strict";

  const { renderText, renderMrkdwn, plainOf, emojify, emojiFor, el } = window.SBText;

  const STATE_KEYS = [
    "value", "selected_option", "selected_options", "selected_user", "selected_users",
    "selected_conversation", "selected_conversations", "selected_channel", "selected_channels",
    "selected_date", "selected_time", "selected_date_time",
  ];

  /** The action fields of a state object (Slack uses the same names in both). */
  function selectedFields(state) {
    const out = {};
    for (const key of STATE_KEYS) if (key in state) out[key] = state[key];
    return out;
  }

  function unsupported(kind, what) {
    return el("div", "bk-unsupported", `[unsupported ${kind}: ${what}]`);
  }

  // ------------------------------------------------------------------ option helpers

  function optionsOf(element) {
    if (Array.isArray(element.options)) return element.options;
    if (Array.isArray(element.option_groups)) {
      return element.option_groups.flatMap((g) => (Array.isArray(g.options) ? g.options : []));
    }
    return [];
  }

  function optionNode(option) {
    const node = el("option", null, plainOf(option.text));
    node.value = String(option.value == null ? "" : option.value);
    return node;
  }

  function userChoices(ctx) {
    const all = Object.values(ctx.users || {}).filter((u) => !u.deleted);
    all.sort((a, b) => Number(a.is_bot) - Number(b.is_bot));
    return all.map((u) => ({ id: u.id, label: u.is_bot ? u.name : u.real_name || u.name }));
  }

  function channelChoices(ctx, element, withIms) {
    const out = [];
    const include = element.filter && element.filter.include;
    for (const c of Object.values(ctx.channels || {})) {
      if (c.is_im) {
        if (withIms && (!include || include.includes("im"))) out.push({ id: c.id, label: "productops (DM)" });
      } else if (!include || include.includes("public")) {
        out.push({ id: c.id, label: "#" + c.name });
      }
    }
    return out;
  }

  // ------------------------------------------------------------------ elements

  /**
   * A stateful element: returns {node, read} where read() gives Slack's view-state object.
   * `saved` is a previous state to start from (what the person typed before a re-render).
   */
  function statefulElement(element, saved, ctx) {
    const type = element.type;
    const placeholder = element.placeholder ? plainOf(element.placeholder) : "";
    if (type === "plain_text_input" || type === "email_text_input" || type === "url_text_input" || type === "number_input") {
      const multiline = type === "plain_text_input" && element.multiline;
      const input = el(multiline ? "textarea" : "input", "bk-input");
      if (!multiline) {
        input.type = { email_text_input: "email", url_text_input: "url", number_input: "number" }[type] || "text";
      } else {
        input.rows = 4;
      }
      if (type === "number_input" && !element.is_decimal_allowed) input.step = "1";
      if (placeholder) input.placeholder = placeholder;
      if (element.max_length) input.maxLength = element.max_length;
      if (element.min_value !== undefined) input.min = element.min_value;
      if (element.max_value !== undefined) input.max = element.max_value;
      const start = saved ? saved.value : element.initial_value;
      input.value = start == null ? "" : String(start);
      if (element.focus_on_load) input.autofocus = true;
      const read = () => ({ type, value: input.value === "" ? null : input.value });
      return { node: input, read, events: ["input"], minLength: element.min_length };
    }
    if (type === "static_select" || type === "external_select" || type === "users_select" || type === "conversations_select" || type === "channels_select") {
      const select = el("select", "bk-select");
      const blank = el("option", null, placeholder || "Select an item");
      blank.value = "";
      select.appendChild(blank);
      let options = [];
      let initial = null;
      if (type === "static_select" || type === "external_select") {
        options = optionsOf(element);
        if (Array.isArray(element.option_groups)) {
          for (const group of element.option_groups) {
            const og = el("optgroup");
            og.label = plainOf(group.label);
            for (const o of group.options || []) og.appendChild(optionNode(o));
            select.appendChild(og);
          }
        } else {
          for (const o of options) select.appendChild(optionNode(o));
        }
        if (saved) initial = saved.selected_option ? saved.selected_option.value : null;
        else if (element.initial_option) initial = element.initial_option.value;
      } else {
        const choices = type === "users_select" ? userChoices(ctx) : channelChoices(ctx, element, type === "conversations_select");
        for (const c of choices) {
          const node = el("option", null, c.label);
          node.value = c.id;
          select.appendChild(node);
        }
        const key = { users_select: "user", conversations_select: "conversation", channels_select: "channel" }[type];
        initial = saved ? saved["selected_" + key] : element["initial_" + key];
        if (!initial && type === "conversations_select" && element.default_to_current_conversation) {
          initial = ctx.channel || null;
        }
      }
      select.value = initial == null ? "" : String(initial);
      const read = () => {
        const v = select.value || null;
        if (type === "static_select" || type === "external_select") {
          const opt = v === null ? null : options.find((o) => String(o.value) === v) || null;
          return { type, selected_option: opt };
        }
        const key = { users_select: "user", conversations_select: "conversation", channels_select: "channel" }[type];
        return { type, ["selected_" + key]: v };
      };
      return { node: select, read, events: ["change"] };
    }
    if (type.startsWith("multi_") && type.endsWith("_select")) {
      const base = type.slice(6);
      const select = el("select", "bk-select bk-multi");
      select.multiple = true;
      let options = [];
      let chosen = [];
      if (base === "static_select" || base === "external_select") {
        options = optionsOf(element);
        for (const o of options) select.appendChild(optionNode(o));
        chosen = saved ? (saved.selected_options || []).map((o) => String(o.value)) : (element.initial_options || []).map((o) => String(o.value));
      } else {
        const choices = base === "users_select" ? userChoices(ctx) : channelChoices(ctx, element, base === "conversations_select");
        for (const c of choices) {
          const node = el("option", null, c.label);
          node.value = c.id;
          select.appendChild(node);
        }
        const key = { users_select: "users", conversations_select: "conversations", channels_select: "channels" }[base];
        chosen = (saved ? saved["selected_" + key] : element["initial_" + key]) || [];
      }
      select.size = Math.min(5, Math.max(3, select.options.length));
      for (const o of select.options) o.selected = chosen.includes(o.value);
      const read = () => {
        const values = Array.from(select.selectedOptions).map((o) => o.value);
        if (base === "static_select" || base === "external_select") {
          return { type, selected_options: options.filter((o) => values.includes(String(o.value))) };
        }
        const key = { users_select: "users", conversations_select: "conversations", channels_select: "channels" }[base];
        return { type, ["selected_" + key]: values };
      };
      return { node: select, read, events: ["change"] };
    }
    if (type === "datepicker" || type === "timepicker" || type === "datetimepicker") {
      const input = el("input", "bk-input bk-date");
      input.type = { datepicker: "date", timepicker: "time", datetimepicker: "datetime-local" }[type];
      if (type === "datepicker") {
        const start = saved ? saved.selected_date : element.initial_date;
        input.value = start || "";
      } else if (type === "timepicker") {
        const start = saved ? saved.selected_time : element.initial_time;
        input.value = start || "";
      } else {
        const start = saved ? saved.selected_date_time : element.initial_date_time;
        if (start) input.value = new Date(start * 1000).toISOString().slice(0, 16);
      }
      const read = () => {
        if (type === "datepicker") return { type, selected_date: input.value || null };
        if (type === "timepicker") return { type, selected_time: input.value || null };
        const stamp = input.value ? Math.round(new Date(input.value + "Z").getTime() / 1000) : null;
        return { type, selected_date_time: stamp };
      };
      return { node: input, read, events: ["change"] };
    }
    if (type === "checkboxes" || type === "radio_buttons") {
      const box = el("div", "bk-choices");
      const options = optionsOf(element);
      const name = "r" + Math.random().toString(36).slice(2);
      let chosen;
      if (type === "checkboxes") {
        chosen = (saved ? saved.selected_options : element.initial_options) || [];
      } else {
        const one = saved ? saved.selected_option : element.initial_option;
        chosen = one ? [one] : [];
      }
      const chosenValues = chosen.map((o) => String(o.value));
      const inputs = [];
      for (const option of options) {
        const label = el("label", "bk-choice");
        const input = el("input");
        input.type = type === "checkboxes" ? "checkbox" : "radio";
        input.name = name;
        input.value = String(option.value);
        input.checked = chosenValues.includes(String(option.value));
        inputs.push(input);
        const body = el("span", "bk-choice-body");
        body.appendChild(renderText(option.text, ctx));
        if (option.description) {
          const d = renderText(option.description, ctx);
          d.classList.add("bk-choice-desc");
          body.appendChild(d);
        }
        label.append(input, body);
        box.appendChild(label);
      }
      const read = () => {
        const picked = options.filter((o, i) => inputs[i].checked);
        if (type === "checkboxes") return { type, selected_options: picked };
        return { type, selected_option: picked[0] || null };
      };
      return { node: box, read, events: ["change"] };
    }
    return null;
  }

  function button(element, blockId, ctx) {
    const node = el("button", "bk-btn");
    node.type = "button";
    if (element.style === "primary") node.classList.add("bk-primary");
    if (element.style === "danger") node.classList.add("bk-danger");
    node.appendChild(document.createTextNode(plainOf(element.text)));
    if (element.accessibility_label) node.setAttribute("aria-label", element.accessibility_label);
    node.dataset.actionId = element.action_id || "";
    node.addEventListener("click", async () => {
      if (element.confirm && !(await ctx.confirm(element.confirm))) return;
      if (element.url && /^https?:/i.test(element.url)) window.open(element.url, "_blank", "noopener");
      const fields = { action_id: element.action_id, block_id: blockId };
      if (element.value !== undefined) fields.value = element.value;
      node.disabled = true;
      try {
        await ctx.act(fields);
      } finally {
        node.disabled = false;
      }
    });
    return node;
  }

  function overflow(element, blockId, ctx) {
    const wrap = el("div", "bk-overflow");
    const toggle = el("button", "bk-btn bk-overflow-btn", "⋯");
    toggle.type = "button";
    toggle.title = "More options";
    const menu = el("div", "popover-menu bk-overflow-menu");
    for (const option of optionsOf(element)) {
      const item = el("button", "menu-item", plainOf(option.text));
      item.type = "button";
      item.addEventListener("click", async (event) => {
        event.stopPropagation();
        menu.classList.remove("open");
        if (element.confirm && !(await ctx.confirm(element.confirm))) return;
        if (option.url && /^https?:/i.test(option.url)) window.open(option.url, "_blank", "noopener");
        ctx.act({ action_id: element.action_id, block_id: blockId, selected: { selected_option: option } });
      });
      menu.appendChild(item);
    }
    toggle.addEventListener("click", (event) => {
      event.stopPropagation();
      const open = !menu.classList.contains("open");
      document.querySelectorAll(".popover-menu.open").forEach((m) => m.classList.remove("open"));
      menu.classList.toggle("open", open);
    });
    wrap.append(toggle, menu);
    return wrap;
  }

  function imageElement(element, className) {
    const url = element.image_url || (element.slack_file && element.slack_file.url) || "";
    const img = el("img", className);
    img.alt = element.alt_text || "";
    img.title = element.alt_text || "";
    img.referrerPolicy = "no-referrer";
    if (/^(https?:|\/)/i.test(url)) img.src = url;
    img.addEventListener("error", () => img.classList.add("broken"));
    return img;
  }

  /**
   * Any element of an actions block, a section accessory or an input block.
   * `inInput` is true for the element of an input block (its value is sent on submit).
   */
  function renderElement(element, blockId, ctx, { inInput = false, dispatch = false } = {}) {
    if (!element || typeof element !== "object") return unsupported("element", "?");
    const type = element.type;
    if (type === "button") return button(element, blockId, ctx);
    if (type === "overflow") return overflow(element, blockId, ctx);
    if (type === "image") return imageElement(element, "bk-accessory-image");
    const actionId = element.action_id || `${blockId}-${type}`;
    const saved = ctx.initial ? ctx.initial(blockId, actionId) : undefined;
    const made = statefulElement(element, saved, ctx);
    if (!made) return unsupported("element", type);
    made.node.dataset.actionId = actionId;
    made.node.dataset.key = `${blockId}/${actionId}`;
    if (ctx.fields) {
      ctx.fields.push({ blockId, actionId, read: made.read, inInput, minLength: made.minLength });
    }
    const sends = !inInput || dispatch;
    for (const name of made.events) {
      made.node.addEventListener(name, async () => {
        const state = made.read();
        if (ctx.draft) ctx.draft(blockId, actionId, state);
        if (!sends || name === "input") return;
        if (element.confirm && !(await ctx.confirm(element.confirm))) return;
        ctx.act({ action_id: element.action_id, block_id: blockId, selected: selectedFields(state) });
      });
    }
    if (sends && made.events.includes("input")) {
      made.node.addEventListener("keydown", (event) => {
        if (event.key === "Enter" && made.node.tagName === "INPUT") {
          ctx.act({ action_id: element.action_id, block_id: blockId, selected: selectedFields(made.read()) });
        }
      });
    }
    return made.node;
  }

  // ------------------------------------------------------------------ rich_text

  function richInline(item, ctx) {
    const style = item.style || {};
    let node;
    switch (item.type) {
      case "text":
        node = document.createTextNode(emojify(item.text || ""));
        break;
      case "link": {
        const href = /^(https?:|mailto:)/i.test(item.url || "") ? item.url : null;
        node = href ? el("a", "link", item.text || item.url) : el("span", null, item.text || item.url || "");
        if (href) {
          node.href = href;
          node.target = "_blank";
          node.rel = "noopener noreferrer";
        }
        break;
      }
      case "user": {
        const u = (ctx.users || {})[item.user_id];
        node = el("span", "mention", "@" + (u ? (u.is_bot ? u.name : u.real_name) : item.user_id));
        break;
      }
      case "channel": {
        const c = (ctx.channels || {})[item.channel_id];
        node = el("span", "mention mention-channel", "#" + (c ? c.name : item.channel_id));
        break;
      }
      case "usergroup":
        node = el("span", "mention", "@group");
        break;
      case "broadcast":
        node = el("span", "mention mention-broadcast", "@" + (item.range || "here"));
        break;
      case "emoji":
        node = document.createTextNode(
          item.unicode ? String.fromCodePoint(...item.unicode.split("-").map((h) => parseInt(h, 16))) : emojiFor(item.name) || `:${item.name}:`
        );
        break;
      case "date":
        node = document.createTextNode(item.fallback || "");
        break;
      case "color":
        node = document.createTextNode(item.value || "");
        break;
      default:
        node = el("span", "bk-unsupported", `[${item.type}]`);
    }
    const wrappers = [];
    if (style.code) wrappers.push(["code", "inline-code"]);
    if (style.bold) wrappers.push(["b"]);
    if (style.italic) wrappers.push(["i"]);
    if (style.strike) wrappers.push(["s"]);
    for (const [tag, cls] of wrappers) {
      const w = el(tag, cls);
      w.appendChild(node);
      node = w;
    }
    return node;
  }

  function richSection(section, ctx, tag = "div") {
    const node = el(tag, "rt-section");
    for (const item of section.elements || []) node.appendChild(richInline(item, ctx));
    return node;
  }

  function richText(block, ctx) {
    const root = el("div", "bk-rich-text");
    for (const part of block.elements || []) {
      if (part.type === "rich_text_section") {
        root.appendChild(richSection(part, ctx));
      } else if (part.type === "rich_text_list") {
        const list = el(part.style === "ordered" ? "ol" : "ul", "rt-list");
        list.style.marginLeft = `${(part.indent || 0) * 20}px`;
        for (const item of part.elements || []) list.appendChild(richSection(item, ctx, "li"));
        root.appendChild(list);
      } else if (part.type === "rich_text_preformatted") {
        const pre = el("pre", "md-pre");
        for (const item of part.elements || []) pre.appendChild(document.createTextNode(item.text || item.url || ""));
        root.appendChild(pre);
      } else if (part.type === "rich_text_quote") {
        const quote = richSection(part, ctx, "blockquote");
        quote.classList.add("md-quote");
        root.appendChild(quote);
      } else {
        root.appendChild(unsupported("rich text", part.type));
      }
    }
    return root;
  }

  // ------------------------------------------------------------------ blocks

  function section(block, blockId, ctx) {
    const node = el("div", "bk-section");
    const body = el("div", "bk-section-body");
    if (block.text) body.appendChild(renderText(block.text, ctx, "div"));
    if (Array.isArray(block.fields) && block.fields.length) {
      const grid = el("div", "bk-fields");
      for (const field of block.fields) grid.appendChild(renderText(field, ctx, "div"));
      body.appendChild(grid);
    }
    node.appendChild(body);
    if (block.accessory) {
      const acc = el("div", "bk-accessory");
      acc.appendChild(renderElement(block.accessory, blockId, ctx));
      node.appendChild(acc);
    }
    return node;
  }

  function context(block, ctx) {
    const node = el("div", "bk-context");
    for (const item of block.elements || []) {
      if (item.type === "image") node.appendChild(imageElement(item, "bk-context-image"));
      else node.appendChild(renderText(item, ctx));
    }
    return node;
  }

  function image(block, ctx) {
    const node = el("figure", "bk-image");
    if (block.title) {
      const cap = renderText(block.title, ctx, "figcaption");
      node.appendChild(cap);
    }
    node.appendChild(imageElement(block, "bk-image-img"));
    return node;
  }

  function actions(block, blockId, ctx) {
    const node = el("div", "bk-actions");
    for (const element of block.elements || []) node.appendChild(renderElement(element, blockId, ctx));
    return node;
  }

  function input(block, blockId, ctx) {
    const node = el("div", "bk-input-block");
    node.dataset.blockId = blockId;
    const label = el("label", "bk-label");
    label.appendChild(document.createTextNode(plainOf(block.label)));
    if (block.optional) label.appendChild(el("span", "bk-optional", " (optional)"));
    node.appendChild(label);
    const before = ctx.fields ? ctx.fields.length : 0;
    const control = renderElement(block.element, blockId, ctx, { inInput: true, dispatch: !!block.dispatch_action });
    node.appendChild(control);
    if (/^(INPUT|SELECT|TEXTAREA)$/.test(control.tagName)) {
      control.id = "in-" + String(blockId).replace(/[^A-Za-z0-9_-]/g, "_") + "-" + Math.random().toString(36).slice(2, 7);
      label.htmlFor = control.id;
    }
    if (block.hint) {
      const hint = renderText(block.hint, ctx, "div");
      hint.classList.add("bk-hint");
      node.appendChild(hint);
    }
    const error = el("div", "bk-error");
    error.setAttribute("role", "alert");
    const message = ctx.errors && ctx.errors[blockId];
    if (message) {
      error.textContent = String(message);
      node.classList.add("has-error");
    }
    node.appendChild(error);
    if (ctx.fields && ctx.fields.length > before) {
      Object.assign(ctx.fields[before], { optional: !!block.optional, errorNode: error, blockNode: node });
    }
    return node;
  }

  function renderBlock(block, index, ctx) {
    if (!block || typeof block !== "object") return unsupported("block", String(block));
    const blockId = block.block_id || `b${index}`;
    let node;
    switch (block.type) {
      case "section":
        node = section(block, blockId, ctx);
        break;
      case "context":
        node = context(block, ctx);
        break;
      case "divider":
        node = el("hr", "bk-divider");
        break;
      case "header":
        node = renderText(block.text, ctx, "div");
        node.classList.add("bk-header");
        break;
      case "image":
        node = image(block, ctx);
        break;
      case "actions":
        node = actions(block, blockId, ctx);
        break;
      case "input":
        node = input(block, blockId, ctx);
        break;
      case "rich_text":
        node = richText(block, ctx);
        break;
      default:
        node = unsupported("block", block.type);
    }
    node.classList.add("bk-block");
    node.dataset.type = String(block.type);
    return node;
  }

  /** Render a list of blocks into a new div.blocks; a broken block never breaks the rest. */
  function renderBlocks(blocks, ctx) {
    const root = el("div", "blocks");
    (Array.isArray(blocks) ? blocks : []).forEach((block, index) => {
      let node;
      try {
        node = renderBlock(block, index, ctx);
      } catch (err) {
        console.warn("block render failed", err);
        node = unsupported("block", block && block.type ? block.type : "?");
      }
      root.appendChild(node);
    });
    return root;
  }

  window.SBBlocks = { renderBlocks, renderElement, selectedFields, renderMrkdwn };
})();
