// The chat page: conversations kept in this browser (local storage, apart for each key), answers streamed from
// /v1/chat/completions.
import { APIError, askForKey, call, callJSON, checkKey, describe, element, ensureKey, forgetKey, keyTag } from "/ui/common.js";
import { renderMarkdown } from "/ui/markdown.js";

const byId = (id) => document.getElementById(id);
const ui = {
  model: byId("model"),
  list: byId("conversations"),
  title: byId("title"),
  renameForm: byId("rename-form"),
  titleInput: byId("title-input"),
  messages: byId("messages"),
  error: byId("error"),
  composer: byId("composer"),
  message: byId("message"),
  send: byId("send"),
  stop: byId("stop"),
  system: byId("system"),
  temperature: byId("temperature"),
  maxTokens: byId("max-tokens"),
  sidebar: byId("sidebar"),
  toggleSidebar: byId("toggle-sidebar"),
};

let conversations = [];
let current = null; // the conversation shown; null: a new one, not saved until its first message
let running = null; // { controller, conversation } while an answer streams
let storagePrefix = null; // "tern.chat.TAG.": each conversation is an item of its own, TAG from the key

/** The conversations of the key in use, each stored under its own item so that tabs never overwrite each other's. */
function loadConversations() {
  const found = [];
  for (let index = 0; index < localStorage.length; index += 1) {
    const name = localStorage.key(index);
    if (!name?.startsWith(storagePrefix)) continue;
    try {
      const conversation = JSON.parse(localStorage.getItem(name));
      for (const message of conversation.messages) {
        // An answer that was streaming when its page went away ended there.
        if (message.pending) Object.assign(message, { pending: false, stopped: true });
      }
      found.push(conversation);
    } catch {
      // Not ours to judge: leave an unreadable item alone.
    }
  }
  return found;
}

function saveConversation(conversation) {
  try {
    localStorage.setItem(storagePrefix + conversation.id, JSON.stringify(conversation));
  } catch (error) {
    showError(`This conversation could not be saved in the browser: ${error.message}`);
  }
}

function newConversation() {
  const id = [...crypto.getRandomValues(new Uint8Array(12))].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return {
    id,
    title: "",
    created: Date.now(),
    updated: Date.now(),
    model: ui.model.value,
    system: ui.system.value,
    temperature: ui.temperature.value,
    maxTokens: ui.maxTokens.value,
    messages: [],
  };
}

function titleOf(conversation) {
  if (conversation.title) return conversation.title;
  const first = conversation.messages.find((message) => message.role === "user");
  return first ? first.content.replace(/\s+/g, " ").slice(0, 60) : "New chat";
}

// Rendering

function renderList() {
  const items = [...conversations].sort((a, b) => b.updated - a.updated).map((conversation) =>
    element(
      "li",
      {},
      element("button", {
        type: "button",
        text: titleOf(conversation),
        title: titleOf(conversation),
        "aria-current": conversation === current ? "true" : undefined,
        onclick: () => {
          select(conversation);
          ui.sidebar.classList.remove("open");
          ui.toggleSidebar.setAttribute("aria-expanded", "false");
        },
      }),
    ),
  );
  ui.list.replaceChildren(...items);
}

function renderConversation() {
  ui.title.textContent = current ? titleOf(current) : "New chat";
  const saved = current !== null && conversations.includes(current);
  for (const id of ["rename", "export", "delete"]) byId(id).disabled = !saved || running !== null;
  if (!current || current.messages.length === 0) {
    ui.messages.replaceChildren(element("p", { class: "empty", text: "Ask anything. Answers stream in as they are written." }));
    return;
  }
  ui.messages.replaceChildren(...current.messages.map(messageNode));
  ui.messages.scrollTop = ui.messages.scrollHeight;
}

function messageNode(message) {
  const content = element("div", { class: "content" });
  fillContent(content, message);
  return element(
    "article",
    { class: `message ${message.role}`, "data-role": message.role },
    element("p", { class: "role", text: message.role === "user" ? "You" : "Assistant" }),
    content,
    message.role === "assistant" ? element("p", { class: "stats", text: statsText(message) }) : null,
  );
}

function fillContent(node, message) {
  if (message.role === "assistant") node.replaceChildren(renderMarkdown(message.content));
  else node.textContent = message.content;
}

function statsText(message) {
  const stats = message.stats;
  if (!stats) return message.pending ? "Writing…" : message.stopped ? "stopped" : "";
  const parts = [`${stats.tokens} tokens`];
  if (stats.tokensPerSecond !== null) parts.push(`${stats.tokensPerSecond.toFixed(1)} tokens/s`);
  if (stats.timeToFirstToken !== null) parts.push(`${Math.round(stats.timeToFirstToken)} ms to first token`);
  parts.push(stats.cachedTokens === null ? "cached tokens unknown" : `${stats.cachedTokens} cached`);
  if (message.stopped) parts.push("stopped");
  else if (stats.finishReason === "length") parts.push("cut at max tokens");
  return parts.join(" · ");
}

function select(conversation) {
  if (running) return;
  current = conversation;
  if (conversation) {
    ui.system.value = conversation.system ?? "";
    ui.temperature.value = conversation.temperature ?? "0.7";
    ui.maxTokens.value = conversation.maxTokens ?? "512";
    if ([...ui.model.options].some((option) => option.value === conversation.model)) ui.model.value = conversation.model;
  }
  hideError();
  cancelRename();
  renderList();
  renderConversation();
  ui.message.focus();
}

function showError(text) {
  ui.error.textContent = text;
  ui.error.hidden = false;
}

function hideError() {
  ui.error.hidden = true;
  ui.error.textContent = "";
}

function setRunning(state) {
  running = state;
  ui.send.disabled = state !== null;
  ui.stop.disabled = state === null;
  ui.model.disabled = state !== null;
  for (const id of ["new-chat", "rename", "export", "delete"]) byId(id).disabled = state !== null;
}

// Sending and streaming

async function send() {
  const text = ui.message.value.trim();
  if (!text || running) return;
  if (!ui.model.value && !(await loadModels())) return;
  hideError();
  if (!current) current = newConversation();
  if (!conversations.includes(current)) conversations.push(current);
  Object.assign(current, {
    model: ui.model.value,
    system: ui.system.value,
    temperature: ui.temperature.value,
    maxTokens: ui.maxTokens.value,
    updated: Date.now(),
  });
  const history = current.messages.filter((message) => message.content !== "").map(({ role, content }) => ({ role, content }));
  const question = { role: "user", content: text };
  const answer = { role: "assistant", content: "", pending: true };
  current.messages.push(question, answer);
  ui.message.value = "";
  saveConversation(current);
  renderList();
  renderConversation();

  const messages = [...history, question];
  if (current.system.trim()) messages.unshift({ role: "system", content: current.system.trim() });
  const body = { model: current.model, messages, stream: true, stream_options: { include_usage: true } };
  const temperature = Number.parseFloat(current.temperature);
  if (Number.isFinite(temperature)) body.temperature = temperature;
  const maxTokens = Number.parseInt(current.maxTokens, 10);
  if (Number.isFinite(maxTokens) && maxTokens > 0) body.max_tokens = maxTokens;

  const conversation = current;
  const controller = new AbortController();
  setRunning({ controller, conversation });
  const started = performance.now();
  let firstToken = null;
  let chunks = 0;
  let usage = null;
  let finishReason = null;
  let scheduled = false;
  let savedAt = performance.now();
  const redraw = () => {
    scheduled = false;
    // The answer is the last message shown, whenever its conversation is the one shown.
    const content = conversation === current ? ui.messages.lastElementChild?.querySelector(".content") : null;
    if (!content) return;
    const stick = ui.messages.scrollHeight - ui.messages.scrollTop - ui.messages.clientHeight < 40;
    fillContent(content, answer);
    if (stick) ui.messages.scrollTop = ui.messages.scrollHeight;
  };
  // Each redraw renders the whole answer: every frame while it is short, a few times a second once it is long.
  const scheduleRedraw = () => {
    if (scheduled) return;
    scheduled = true;
    if (answer.content.length < 4000) requestAnimationFrame(redraw);
    else setTimeout(redraw, 150);
  };
  try {
    const response = await call("/v1/chat/completions", { method: "POST", body, signal: controller.signal });
    for await (const data of events(response)) {
      if (data === "[DONE]") break;
      const chunk = JSON.parse(data);
      if (chunk.error) throw new APIError(chunk.error.status ?? 500, chunk.error.message ?? "The answer failed.", chunk.error.code);
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices?.[0];
      if (choice?.finish_reason) finishReason = choice.finish_reason;
      const delta = choice?.delta?.content;
      if (delta) {
        firstToken ??= performance.now();
        chunks += 1;
        answer.content += delta;
        scheduleRedraw();
        // Kept as it grows: a page closed or reloaded mid-answer keeps what was written.
        if (performance.now() - savedAt > 1000) {
          saveConversation(conversation);
          savedAt = performance.now();
        }
      }
    }
  } catch (error) {
    if (error.name === "AbortError") {
      answer.stopped = true;
    } else {
      // Whatever went wrong here, the server stops generating for a request nobody reads.
      controller.abort();
      answer.failed = true;
      if (error instanceof APIError && error.status === 401) {
        forgetKey();
        askForKey(checkKey, describe(error)).then(loadModels);
      }
      showError(describe(error));
    }
  } finally {
    const ended = performance.now();
    const tokens = usage?.completion_tokens ?? chunks;
    answer.pending = false;
    answer.stats = {
      tokens,
      tokensPerSecond: firstToken !== null && ended > firstToken && tokens > 1 ? (tokens - 1) / ((ended - firstToken) / 1000) : null,
      timeToFirstToken: firstToken === null ? null : firstToken - started,
      cachedTokens: usage ? (usage.prompt_tokens_details?.cached_tokens ?? 0) : null,
      promptTokens: usage?.prompt_tokens ?? null,
      finishReason,
    };
    if (answer.failed && answer.content === "") {
      // Nothing was answered: the question goes back to the message box to be sent again.
      conversation.messages.splice(conversation.messages.indexOf(question), 2);
      if (conversation === current && !ui.message.value) ui.message.value = question.content;
    } else if (answer.failed) {
      answer.stopped = true; // what came before the failure stays
    }
    conversation.updated = Date.now();
    if (conversation.messages.length === 0) {
      conversations = conversations.filter((other) => other !== conversation);
      localStorage.removeItem(storagePrefix + conversation.id);
    } else {
      saveConversation(conversation);
    }
    setRunning(null);
    renderList();
    if (conversation === current) renderConversation();
    ui.message.focus();
  }
}

/** The `data:` payloads of a Server-Sent Events response, one by one as they arrive. */
async function* events(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, "");
        const data = block
          .split(/\r?\n/)
          .filter((line) => line.startsWith("data:"))
          .map((line) => line.slice(5).replace(/^ /, ""))
          .join("\n");
        if (data) yield data;
      }
    }
  } finally {
    reader.releaseLock();
  }
}

function stop() {
  running?.controller.abort();
}

// Conversation actions

function startRename() {
  ui.titleInput.value = titleOf(current);
  ui.renameForm.hidden = false;
  ui.title.hidden = true;
  ui.titleInput.focus();
  ui.titleInput.select();
}

function cancelRename() {
  ui.renameForm.hidden = true;
  ui.title.hidden = false;
}

function exportConversation() {
  const document_ = {
    title: titleOf(current),
    model: current.model,
    system: current.system,
    temperature: Number.parseFloat(current.temperature),
    max_tokens: Number.parseInt(current.maxTokens, 10),
    created: new Date(current.created).toISOString(),
    messages: current.messages.map(({ role, content, stats, stopped }) => ({ role, content, ...(stats ? { stats } : {}), ...(stopped ? { stopped } : {}) })),
  };
  const blob = new Blob([JSON.stringify(document_, null, 2)], { type: "application/json" });
  const link = element("a", { href: URL.createObjectURL(blob), download: `${titleOf(current).replace(/[^\w-]+/g, "-").slice(0, 40) || "chat"}.json` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

function deleteConversation() {
  if (!confirm(`Delete “${titleOf(current)}”? This cannot be undone.`)) return;
  conversations = conversations.filter((conversation) => conversation !== current);
  localStorage.removeItem(storagePrefix + current.id);
  select(null);
}

// Models and keys


/** Lists the key's models in the picker; false (and the reason shown) when there are none to pick. */
async function loadModels() {
  try {
    const { data: all } = await callJSON("/v1/models");
    // An embedding model cannot chat; a model whose file the server has not read yet lists no capabilities.
    const data = all.filter((model) => !model.capabilities || model.capabilities.includes("chat"));
    const chosen = current?.model ?? localStorage.getItem("tern.model");
    ui.model.replaceChildren(...data.map((model) => element("option", { value: model.id, text: model.id })));
    if (data.some((model) => model.id === chosen)) ui.model.value = chosen;
    if (data.length === 0) {
      showError(all.length === 0 ? "This key may not use any model of the server." : "None of the models this key may use can chat.");
    }
    return data.length > 0;
  } catch (error) {
    showError(`The models could not be listed. ${describe(error)}`);
    if (error instanceof APIError && error.status === 401) {
      forgetKey();
      await useKey(await askForKey(checkKey, describe(error)));
    }
    return false;
  }
}

/** Shows the conversations of `key` and lists its models. */
async function useKey(key) {
  storagePrefix = `tern.chat.${keyTag(key)}.`;
  if (!running) {
    conversations = loadConversations();
    current = null;
    renderList();
    renderConversation();
  }
  return loadModels();
}

// Wiring

ui.composer.addEventListener("submit", (event) => {
  event.preventDefault();
  send();
});
ui.message.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    send();
  }
});
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && running) {
    event.preventDefault();
    stop();
  }
});
ui.stop.addEventListener("click", stop);
window.addEventListener("pagehide", () => {
  if (running) saveConversation(running.conversation);
});
ui.model.addEventListener("change", () => localStorage.setItem("tern.model", ui.model.value));
byId("new-chat").addEventListener("click", () => select(null));
byId("rename").addEventListener("click", startRename);
byId("rename-cancel").addEventListener("click", cancelRename);
ui.renameForm.addEventListener("submit", (event) => {
  event.preventDefault();
  current.title = ui.titleInput.value.trim();
  saveConversation(current);
  cancelRename();
  renderList();
  renderConversation();
});
ui.titleInput.addEventListener("keydown", (event) => {
  if (event.key === "Escape") cancelRename();
});
byId("export").addEventListener("click", exportConversation);
byId("delete").addEventListener("click", deleteConversation);
byId("change-key").addEventListener("click", async () => {
  if (running) return;
  await useKey(await askForKey(checkKey));
});
ui.toggleSidebar.addEventListener("click", () => {
  const open = ui.sidebar.classList.toggle("open");
  ui.toggleSidebar.setAttribute("aria-expanded", String(open));
});
// Another tab changed a conversation of this key: show the changes (the one streaming here stays as it is here).
window.addEventListener("storage", (event) => {
  if (storagePrefix === null || (event.key !== null && !event.key.startsWith(storagePrefix))) return;
  const streaming = running?.conversation;
  conversations = loadConversations().map((conversation) => (conversation.id === streaming?.id ? streaming : conversation));
  if (streaming && !conversations.includes(streaming)) conversations.push(streaming);
  current = conversations.find((conversation) => conversation.id === current?.id) ?? (current && current.messages.length === 0 ? current : null);
  renderList();
  renderConversation();
});

renderConversation();
ensureKey(checkKey)
  .then(useKey)
  .catch((error) => showError(describe(error)));
