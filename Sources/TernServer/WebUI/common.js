// What the chat page and the console share: the API key (session storage only, never a URL), calls to the API,
// and errors said the way a person wants to read them.

const keyStorage = "tern.apiKey";

/** An error answer of the API: its HTTP status, OpenAI's message and code, and retry-after in seconds. */
export class APIError extends Error {
  constructor(status, message, code, retryAfter) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

/** The key of this browser tab; "" when the server needs none; null before one is known. */
function savedKey() {
  return sessionStorage.getItem(keyStorage);
}

function saveKey(key) {
  sessionStorage.setItem(keyStorage, key);
}

export function forgetKey() {
  sessionStorage.removeItem(keyStorage);
}

/**
 * A short tag of `key` (64 bits of FNV-1a, twice over the text), under which the browser keeps that key's
 * conversations apart from another key's. It names the key's storage; it protects nothing and reveals nothing useful.
 */
export function keyTag(key) {
  let low = 0x811c9dc5;
  let high = 0x01000193 ^ key.length;
  for (let index = 0; index < key.length; index += 1) {
    low = Math.imul(low ^ key.charCodeAt(index), 0x01000193) >>> 0;
    high = Math.imul(high ^ key.charCodeAt(key.length - 1 - index), 0x01000193) >>> 0;
  }
  return low.toString(16).padStart(8, "0") + high.toString(16).padStart(8, "0");
}

/** Calls the API with `key`; the response when it is 2xx, else an APIError. */
export async function call(path, { key = savedKey(), method = "GET", body, signal } = {}) {
  const headers = {};
  if (key) headers.Authorization = `Bearer ${key}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new APIError(0, "The server cannot be reached. Check that it is running, then try again.");
  }
  if (response.ok) return response;
  throw await errorOf(response);
}

/** Calls the API and reads its JSON answer. */
export async function callJSON(path, options) {
  return (await call(path, options)).json();
}

async function errorOf(response) {
  let message = `The server answered ${response.status} ${response.statusText}.`;
  let code;
  try {
    const error = (await response.json()).error;
    if (error?.message) message = error.message;
    code = error?.code ?? error?.type;
  } catch {
    // Not JSON (a proxy's page): the status says enough.
  }
  const retry = Number.parseFloat(response.headers.get("retry-after") ?? "");
  return new APIError(response.status, message, code, Number.isFinite(retry) ? retry : undefined);
}

/** An error as one sentence for a person: what happened and what to do. */
export function describe(error) {
  if (!(error instanceof APIError)) return `Something went wrong: ${error.message ?? error}`;
  switch (error.status) {
    case 401:
      return "The server did not accept this API key. Enter a valid key to go on.";
    case 403:
      return `This key may not do that: ${error.message}`;
    case 429: {
      const wait = error.retryAfter === undefined ? "in a moment" : `in ${Math.max(1, Math.ceil(error.retryAfter))} s`;
      return `Too many requests for this key: try again ${wait}. (${error.message})`;
    }
    case 503:
      return `The server is busy or still loading the model; try again shortly. (${error.message})`;
    default:
      return error.message;
  }
}

/**
 * Accepts `key` when the server does: asks for the key's own usage of today, which any valid key may read and which
 * counts against no limit. A server without keys has no such route (404) and takes any key.
 */
export async function checkKey(key) {
  try {
    await call(`/usage?since=${new Date().toISOString().slice(0, 10)}`, { key });
  } catch (error) {
    if (!(error instanceof APIError) || error.status !== 404) throw error;
  }
}

/**
 * Makes sure a working key is known: the saved one, none when the server asks for none, else the one the person
 * enters in the dialog. Resolves once `check(key)` has accepted a key.
 */
export async function ensureKey(check) {
  const saved = savedKey();
  if (saved !== null) {
    try {
      await check(saved);
      return saved;
    } catch (error) {
      if (!(error instanceof APIError) || error.status !== 401) throw error;
      forgetKey();
    }
  }
  try {
    await check("");
    saveKey("");
    return "";
  } catch (error) {
    if (!(error instanceof APIError) || error.status !== 401) throw error;
  }
  return askForKey(check);
}

/** Opens the key dialog and resolves with the first key `check` accepts. */
export function askForKey(check, reason) {
  const dialog = document.getElementById("key-dialog");
  const form = document.getElementById("key-form");
  const input = document.getElementById("api-key");
  const problem = document.getElementById("key-error");
  problem.hidden = !reason;
  problem.textContent = reason ?? "";
  input.value = "";
  if (!dialog.open) dialog.showModal();
  input.focus();
  return new Promise((resolve) => {
    const submit = async (event) => {
      event.preventDefault();
      const key = input.value.trim();
      if (!key) return;
      try {
        await check(key);
      } catch (error) {
        problem.hidden = false;
        problem.textContent = describe(error);
        input.select();
        return;
      }
      saveKey(key);
      input.value = "";
      form.removeEventListener("submit", submit);
      dialog.close();
      resolve(key);
    };
    form.addEventListener("submit", submit);
    // The page is of no use without a key: Escape does not dismiss the dialog.
    dialog.addEventListener("cancel", (event) => event.preventDefault());
  });
}

/** `tag` with its attributes and children (strings become text: nothing is parsed as HTML). */
export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children) {
    if (child === undefined || child === null) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

/** A count for people: 1234567 as "1,234,567". */
export function formatCount(value) {
  return Number(value ?? 0).toLocaleString("en-US");
}
