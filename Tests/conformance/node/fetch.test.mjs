// What a browser app does with plain fetch(), run under Node's built-in test runner against a live `tern serve`.
import assert from "node:assert/strict";
import { test } from "node:test";

const base = process.env.TERN_URL;
if (!base) throw new Error("TERN_URL is not set: run Tests/conformance/run.sh, which starts `tern serve` and sets it");
const url = `${base.replace(/\/$/, "")}/v1/chat/completions`;
const key = process.env.TERN_API_KEY;
if (!key) throw new Error("TERN_API_KEY is not set: run Tests/conformance/run.sh, which makes one with `tern keys create`");
const headers = { "Content-Type": "application/json", Authorization: `Bearer ${key}` };

test("POST /v1/chat/completions and read data.choices[0].message.content", async () => {
  const data = await fetch(url, {
    method: "POST",
    headers,
    body: JSON.stringify({ model: "gpt-4", messages: [{ role: "user", content: "How does AI work?" }] }),
  }).then((r) => r.json());
  assert.equal(typeof data.choices[0].message.content, "string");
  assert.ok(data.choices[0].message.content.length > 0);
  assert.equal(data.choices[0].message.role, "assistant");
  assert.ok(["stop", "length"].includes(data.choices[0].finish_reason));
  assert.equal(data.model, "gpt-4");
  assert.equal(data.usage.total_tokens, data.usage.prompt_tokens + data.usage.completion_tokens);
});

test("streamed read with a ReadableStream reader", async () => {
  const response = await fetch(url, {
    method: "POST",
    headers,
    body: JSON.stringify({
      model: "gpt-4",
      messages: [{ role: "user", content: "How does AI work?" }],
      max_tokens: 12,
      stream: true,
      stream_options: { include_usage: true },
    }),
  });
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type"), /^text\/event-stream/);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  const events = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffered += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffered.indexOf("\n\n")) >= 0) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const data = block.split("\n").filter((line) => line.startsWith("data: ")).map((line) => line.slice(6)).join("\n");
      if (data) events.push(data);
    }
  }
  assert.equal(events.at(-1), "[DONE]");
  const chunks = events.slice(0, -1).map((event) => JSON.parse(event));
  assert.equal(chunks[0].choices[0].delta.role, "assistant");
  const text = chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.delta.content ?? "")).join("");
  assert.ok(text.length > 0);
  assert.deepEqual(chunks.at(-1).choices, []);
  assert.ok(chunks.at(-1).usage.completion_tokens <= 12);
});

test("errors come back as OpenAI's envelope", async () => {
  const response = await fetch(url, {
    method: "POST",
    headers,
    body: JSON.stringify({ model: "no-such-model", messages: [{ role: "user", content: "Hi" }] }),
  });
  assert.equal(response.status, 404);
  const { error } = await response.json();
  assert.equal(error.code, "model_not_found");
  assert.deepEqual(Object.keys(error).sort(), ["code", "message", "param", "type"]);
});

const preflight = (origin) =>
  fetch(url, {
    method: "OPTIONS",
    headers: {
      Origin: origin,
      "Access-Control-Request-Method": "POST",
      "Access-Control-Request-Headers": "content-type, authorization",
    },
  });

test("a CORS preflight from a listed origin (--cors-origin) is answered", async () => {
  const response = await preflight("http://app.example");
  assert.equal(response.status, 204);
  assert.equal(response.headers.get("access-control-allow-origin"), "http://app.example");
  const allowed = response.headers.get("access-control-allow-headers").toLowerCase().split(/,\s*/);
  // Real header names only: a pattern such as `x-stainless-*` matches nothing in a browser.
  for (const name of ["authorization", "content-type", "x-stainless-os", "x-stainless-retry-count", "x-stainless-timeout"]) {
    assert.ok(allowed.includes(name), `${name} in ${allowed}`);
  }
  assert.ok(allowed.every((name) => /^[a-z0-9-]+$/.test(name)), `${allowed}`);
  assert.equal(response.headers.get("vary"), "Origin");
});

test("a listed origin may read answers and the rate-limit headers", async () => {
  const response = await fetch(`${base.replace(/\/$/, "")}/v1/models`, { headers: { ...headers, Origin: "http://app.example" } });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("access-control-allow-origin"), "http://app.example");
  assert.match(response.headers.get("access-control-expose-headers"), /x-ratelimit-remaining-requests/);
  assert.equal(response.headers.get("vary"), "Origin");
});

test("another origin gets no CORS headers", async () => {
  const response = await preflight("http://evil.example");
  assert.equal(response.headers.get("access-control-allow-origin"), null);
  const get = await fetch(`${base.replace(/\/$/, "")}/v1/models`, { headers: { ...headers, Origin: "http://evil.example" } });
  assert.equal(get.headers.get("access-control-allow-origin"), null);
  // The answer depends on the origin, so a shared cache must not hand it to another one.
  assert.equal(get.headers.get("vary"), "Origin");
});

test("without a key: 401 invalid_api_key", async () => {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ model: "gpt-4", messages: [{ role: "user", content: "Hi" }] }),
  });
  assert.equal(response.status, 401);
  assert.equal((await response.json()).error.code, "invalid_api_key");
});

test("response_format json_schema: the content parses and has the schema's properties", async () => {
  const schema = {
    type: "object",
    properties: { city: { type: "string", maxLength: 20 }, population: { type: "integer", minimum: 0 } },
    required: ["city", "population"],
    additionalProperties: false,
  };
  const data = await fetch(url, {
    method: "POST",
    headers,
    body: JSON.stringify({
      model: "gpt-4",
      messages: [{ role: "user", content: "The largest city of France and its population, as JSON." }],
      temperature: 0,
      max_tokens: 80,
      response_format: { type: "json_schema", json_schema: { name: "city", strict: true, schema } },
    }),
  }).then((r) => r.json());
  const choice = data.choices[0];
  assert.equal(choice.finish_reason, "stop", choice.message.content);
  const value = JSON.parse(choice.message.content);
  assert.deepEqual(Object.keys(value), ["city", "population"]);
  assert.equal(typeof value.city, "string");
  assert.ok(Number.isInteger(value.population) && value.population >= 0);
});

test("tools with tool_choice required: a call whose arguments parse", async () => {
  const tools = [
    {
      type: "function",
      function: {
        name: "get_weather",
        parameters: {
          type: "object",
          properties: { city: { type: "string", maxLength: 30 } },
          required: ["city"],
          additionalProperties: false,
        },
      },
    },
  ];
  const data = await fetch(url, {
    method: "POST",
    headers,
    body: JSON.stringify({
      model: "gpt-4",
      messages: [{ role: "user", content: "What is the weather in Oslo?" }],
      tools,
      tool_choice: "required",
      parallel_tool_calls: false,
      temperature: 0,
      max_tokens: 80,
    }),
  }).then((r) => r.json());
  const choice = data.choices[0];
  assert.equal(choice.finish_reason, "tool_calls");
  assert.equal(choice.message.content, null);
  const call = choice.message.tool_calls[0];
  assert.match(call.id, /^call_/);
  assert.equal(call.type, "function");
  assert.equal(call.function.name, "get_weather");
  assert.equal(typeof JSON.parse(call.function.arguments).city, "string");
});
