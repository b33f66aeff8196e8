// The console: keys (admin keys), usage from the ledger as a chart and a table, and the server's state from /metrics.
import { APIError, askForKey, call, callJSON, checkKey, describe, element, ensureKey, formatCount } from "/ui/common.js";

const byId = (id) => document.getElementById(id);
const svg = "http://www.w3.org/2000/svg";
let role = "user"; // "admin": every key; "user": its own usage; "open": a server without keys
let usageRows = [];
let previousMetrics = null;

function showError(text) {
  const node = byId("console-error");
  node.textContent = text;
  node.hidden = !text;
}


/** What the key may do here: try the admin API. */
async function findRole() {
  try {
    await call("/admin/keys");
    return "admin";
  } catch (error) {
    if (error instanceof APIError && error.status === 403) return "user";
    if (error instanceof APIError && error.status === 404) return "open";
    throw error;
  }
}

// Keys

async function loadKeys() {
  const { data } = await callJSON("/admin/keys");
  const rows = data.map((key) => {
    const status = key.revoked_at ? "revoked" : key.expires_at && new Date(key.expires_at) <= new Date() ? "expired" : "active";
    const limits = [
      key.limits?.rpm ? `${formatCount(key.limits.rpm)} requests/min` : null,
      key.limits?.tpm ? `${formatCount(key.limits.tpm)} tokens/min` : null,
      key.limits?.max_concurrent ? `${key.limits.max_concurrent} at once` : null,
    ].filter(Boolean);
    const revoke = element("button", {
      type: "button",
      class: "danger",
      text: "Revoke",
      "aria-label": `Revoke ${key.name}`,
      disabled: status === "revoked",
      onclick: () => revokeKey(key),
    });
    return element(
      "tr",
      { "data-key-id": key.id, "data-status": status },
      element("td", { text: key.name + (key.admin ? " (admin)" : "") }),
      element("td", {}, element("code", { text: `${key.prefix}…` })),
      element("td", { text: key.models ? key.models.join(", ") : "all" }),
      element("td", { text: limits.length ? limits.join(" · ") : "server defaults" }),
      element("td", { text: key.budget ? `${formatCount(key.budget.tokens)} tokens/${key.budget.period}` : "none" }),
      element("td", { text: day(key.created_at) }),
      element("td", { text: key.expires_at ? day(key.expires_at) : "never" }),
      element("td", { class: "status", text: status }),
      element("td", {}, revoke),
    );
  });
  byId("keys").tBodies[0].replaceChildren(...rows);
}

async function createKey(event) {
  event.preventDefault();
  const value = (id) => byId(id).value.trim();
  const number = (id) => (value(id) === "" ? undefined : Number.parseInt(value(id), 10));
  const body = {
    name: value("key-name"),
    admin: byId("key-admin").checked,
    rpm: number("key-rpm"),
    tpm: number("key-tpm"),
    max_concurrent: number("key-concurrent"),
    budget_tokens: number("key-budget"),
  };
  const models = value("key-models").split(",").map((name) => name.trim()).filter(Boolean);
  if (models.length) body.models = models;
  if (body.budget_tokens !== undefined) body.budget_period = value("key-period");
  // The end of the chosen day, UTC: a key "expiring on" a day works through that day.
  if (value("key-expires")) body.expires_at = `${value("key-expires")}T23:59:59Z`;
  try {
    const created = await callJSON("/admin/keys", { method: "POST", body });
    byId("new-secret-name").textContent = created.name;
    byId("new-secret-value").textContent = created.key;
    byId("new-secret").hidden = false;
    byId("create-key").reset();
    showError("");
    await Promise.all([loadKeys(), loadUsage()]);
  } catch (error) {
    showError(`The key was not created. ${describe(error)}`);
  }
}

async function revokeKey(key) {
  if (!confirm(`Revoke the key “${key.name}”? Requests with it are refused from now on.`)) return;
  try {
    await call(`/admin/keys/${encodeURIComponent(key.id)}`, { method: "DELETE" });
    showError("");
    await loadKeys();
  } catch (error) {
    showError(`The key was not revoked. ${describe(error)}`);
  }
}

// Usage

/** The periods the chart shows, oldest first: the last 30 days or 12 months, UTC. */
function periods(group) {
  const now = new Date();
  const list = [];
  for (let back = group === "day" ? 29 : 11; back >= 0; back -= 1) {
    const date =
      group === "day"
        ? new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - back))
        : new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, 1));
    list.push(date.toISOString().slice(0, group === "day" ? 10 : 7));
  }
  return list;
}

async function loadUsage() {
  const group = byId("usage-group").value;
  const shown = periods(group);
  const since = group === "day" ? shown[0] : `${shown[0]}-01`;
  const path = role === "admin" ? `/admin/usage?group=${group}&since=${since}` : `/usage?group=${group}&since=${since}`;
  try {
    usageRows = (await callJSON(path)).data;
  } catch (error) {
    showError(`Usage could not be read. ${describe(error)}`);
    return;
  }
  const filter = byId("usage-key");
  const chosen = filter.value;
  const keys = new Map(usageRows.map((row) => [row.id, row.name]));
  filter.replaceChildren(
    element("option", { value: "", text: "all keys" }),
    ...[...keys].map(([id, name]) => element("option", { value: id, text: name })),
  );
  filter.value = keys.has(chosen) ? chosen : "";
  renderUsage();
}

function renderUsage() {
  const group = byId("usage-group").value;
  const key = byId("usage-key").value;
  const rows = usageRows.filter((row) => !key || row.id === key);
  byId("usage-table").tBodies[0].replaceChildren(
    ...[...rows].reverse().map((row) =>
      element(
        "tr",
        { "data-key-name": row.name },
        element("td", { text: row.period }),
        element("td", { text: row.name }),
        ...["requests", "prompt_tokens", "cached_tokens", "completion_tokens", "failed_requests"].map((field) =>
          element("td", { class: "number", "data-field": field, text: formatCount(row[field]) }),
        ),
      ),
    ),
  );
  if (rows.length === 0) {
    byId("usage-table").tBodies[0].append(element("tr", {}, element("td", { colspan: "7", class: "muted", text: "No requests in these periods." })));
  }
  drawChart(periods(group), rows);
}

function drawChart(shown, rows) {
  const chart = byId("usage-chart");
  const totals = new Map(shown.map((period) => [period, { prompt: 0, completion: 0 }]));
  for (const row of rows) {
    const total = totals.get(row.period);
    if (!total) continue;
    total.prompt += row.prompt_tokens;
    total.completion += row.completion_tokens;
  }
  const width = 720;
  const height = 220;
  const left = 56;
  const bottom = 24;
  const top = 10;
  const highest = Math.max(1, ...[...totals.values()].map((total) => total.prompt + total.completion));
  const scale = (height - bottom - top) / highest;
  const slot = (width - left) / shown.length;
  const shape = (name, attributes, text) => {
    const node = document.createElementNS(svg, name);
    for (const [attribute, value] of Object.entries(attributes)) node.setAttribute(attribute, String(value));
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const nodes = [
    shape("line", { x1: left, y1: height - bottom, x2: width, y2: height - bottom }),
    shape("line", { x1: left, y1: top, x2: width, y2: top }),
    shape("text", { x: left - 6, y: top + 4, "text-anchor": "end" }, compact(highest)),
    shape("text", { x: left - 6, y: height - bottom + 4, "text-anchor": "end" }, "0"),
  ];
  shown.forEach((period, index) => {
    const total = totals.get(period);
    const x = left + index * slot + slot * 0.15;
    const barWidth = slot * 0.7;
    const promptHeight = total.prompt * scale;
    const completionHeight = total.completion * scale;
    const bar = shape("g", {});
    bar.append(shape("title", {}, `${period}: ${formatCount(total.prompt)} prompt, ${formatCount(total.completion)} completion tokens`));
    bar.append(shape("rect", { class: "prompt", x, y: height - bottom - promptHeight, width: barWidth, height: promptHeight }));
    bar.append(
      shape("rect", { class: "completion", x, y: height - bottom - promptHeight - completionHeight, width: barWidth, height: completionHeight }),
    );
    nodes.push(bar);
    const labelEvery = shown.length > 12 ? 5 : 1;
    if ((shown.length - 1 - index) % labelEvery === 0) {
      nodes.push(shape("text", { x: x + barWidth / 2, y: height - 6, "text-anchor": "middle" }, period.slice(5) || period));
    }
  });
  chart.replaceChildren(...nodes);
  const sum = [...totals.values()].reduce((all, total) => all + total.prompt + total.completion, 0);
  chart.setAttribute("aria-label", `Tokens per ${byId("usage-group").value}: ${formatCount(sum)} in the periods shown`);
}

function compact(value) {
  if (value >= 1e9) return `${(value / 1e9).toFixed(1)}G`;
  if (value >= 1e6) return `${(value / 1e6).toFixed(1)}M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
  return String(value);
}

// The server's state

/** Prometheus text as sums per series name, with `outcome` kept apart for tern_requests_total. */
function parseMetrics(text) {
  const sums = new Map();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    let name = match[1];
    const outcome = /outcome="([^"]+)"/.exec(match[2] ?? "");
    if (outcome) name += `:${outcome[1]}`;
    sums.set(name, (sums.get(name) ?? 0) + Number.parseFloat(match[3]));
  }
  return sums;
}

function bytes(value) {
  if (value >= 2 ** 30) return `${(value / 2 ** 30).toFixed(1)} GiB`;
  if (value >= 2 ** 20) return `${(value / 2 ** 20).toFixed(1)} MiB`;
  return `${Math.round(value / 2 ** 10)} KiB`;
}

async function loadMetrics() {
  let metrics;
  try {
    metrics = parseMetrics(await (await call("/metrics")).text());
  } catch (error) {
    byId("live-updated").textContent = `Not available: ${describe(error)}`;
    return;
  }
  const now = performance.now();
  const get = (name) => metrics.get(name) ?? 0;
  let tokensPerSecond = "—";
  let firstToken = "—";
  if (previousMetrics) {
    const seconds = (now - previousMetrics.at) / 1000;
    const generated = get("tern_generation_tokens_total") - previousMetrics.values.get("tern_generation_tokens_total");
    if (seconds > 0) tokensPerSecond = (generated / seconds).toFixed(1);
    const count = get("tern_time_to_first_token_seconds_count") - (previousMetrics.values.get("tern_time_to_first_token_seconds_count") ?? 0);
    const sum = get("tern_time_to_first_token_seconds_sum") - (previousMetrics.values.get("tern_time_to_first_token_seconds_sum") ?? 0);
    if (count > 0) firstToken = `${Math.round((sum / count) * 1000)} ms`;
  }
  if (firstToken === "—" && get("tern_time_to_first_token_seconds_count") > 0) {
    firstToken = `${Math.round((get("tern_time_to_first_token_seconds_sum") / get("tern_time_to_first_token_seconds_count")) * 1000)} ms (average)`;
  }
  previousMetrics = { at: now, values: metrics };
  const items = [
    ["Models loaded", formatCount(get("tern_model_ready")), "models-loaded"],
    ["Running", formatCount(get("tern_requests_running")), "running"],
    ["Waiting", formatCount(get("tern_requests_waiting")), "waiting"],
    ["KV cache", `${bytes(get("tern_kv_cache_bytes"))} of ${bytes(get("tern_kv_cache_budget_bytes"))}`, "kv-cache"],
    ["Tokens per second", tokensPerSecond, "tokens-per-second"],
    ["Time to first token", firstToken, "time-to-first-token"],
    ["Finished", formatCount(get("tern_requests_total:finished")), "finished"],
    ["Cancelled", formatCount(get("tern_requests_total:cancelled")), "cancelled"],
  ];
  byId("live").replaceChildren(
    ...items.map(([label, value, name]) => element("div", { "data-metric": name }, element("dt", { text: label }), element("dd", { text: value }))),
  );
  byId("live-updated").textContent = `Updated ${new Date().toLocaleTimeString()}`;
}

function day(iso) {
  return iso ? iso.slice(0, 10) : "";
}

async function start() {
  await ensureKey(checkKey);
  role = await findRole();
  byId("keys-section").hidden = role !== "admin";
  // Without keys there is no ledger to show.
  byId("usage-section").hidden = role === "open";
  byId("who").textContent =
    role === "admin" ? "Admin key: every key and its usage" : role === "user" ? "Your key's own usage" : "This server runs without keys";
  showError("");
  if (role === "admin") await loadKeys();
  if (role !== "open") await loadUsage();
  await loadMetrics();
}

byId("create-key").addEventListener("submit", createKey);
byId("copy-secret").addEventListener("click", async () => {
  try {
    await navigator.clipboard.writeText(byId("new-secret-value").textContent);
    byId("copy-secret").textContent = "Copied";
  } catch {
    byId("copy-secret").textContent = "Select and copy it";
  }
});
byId("usage-group").addEventListener("change", loadUsage);
byId("usage-key").addEventListener("change", renderUsage);
byId("usage-refresh").addEventListener("click", loadUsage);
byId("change-key").addEventListener("click", async () => {
  await askForKey(checkKey);
  byId("new-secret").hidden = true;
  await start().catch((error) => showError(describe(error)));
});
setInterval(() => {
  if (!document.hidden) loadMetrics();
}, 2000);
start().catch((error) => showError(describe(error)));
