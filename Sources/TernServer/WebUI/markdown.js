// Markdown to DOM nodes, for the model's answers: paragraphs, headings, lists, quotes, fenced code, tables, rules,
// and inline code, bold, italic, strikethrough and links. Everything is built with createElement and text nodes, so
// nothing the model writes is ever parsed as HTML; links go to http, https and mailto only. An answer still
// streaming in renders as far as it has come (an open code fence is a code block so far).

const fence = /^\s{0,3}(```+|~~~+)\s*([\w+#.-]*)\s*$/;
const heading = /^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$/;
const rule = /^\s{0,3}([-*_])(\s*\1){2,}\s*$/;
const quote = /^\s{0,3}>\s?(.*)$/;
const listItem = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/;
const tableSeparator = /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;

/** The nodes of `text` as Markdown, in a fragment. */
export function renderMarkdown(text) {
  const fragment = document.createDocumentFragment();
  appendBlocks(fragment, text.replace(/\r\n?/g, "\n").split("\n"));
  return fragment;
}

function appendBlocks(parent, lines) {
  let index = 0;
  while (index < lines.length) {
    const line = lines[index];
    if (line.trim() === "") {
      index += 1;
      continue;
    }
    let match;
    if ((match = fence.exec(line))) {
      // Closed by a run of the same character at least as long, alone on its line.
      const closing = new RegExp(`^\\s{0,3}${match[1][0]}{${match[1].length},}\\s*$`);
      const body = [];
      index += 1;
      while (index < lines.length && !closing.test(lines[index])) body.push(lines[index++]);
      index += 1;
      parent.append(codeBlock(body.join("\n"), match[2]));
    } else if ((match = heading.exec(line))) {
      const node = document.createElement(`h${Math.min(match[1].length + 2, 6)}`);
      appendInline(node, match[2]);
      parent.append(node);
      index += 1;
    } else if (rule.test(line)) {
      parent.append(document.createElement("hr"));
      index += 1;
    } else if (quote.test(line)) {
      const body = [];
      while (index < lines.length && (match = quote.exec(lines[index]))) {
        body.push(match[1]);
        index += 1;
      }
      const node = document.createElement("blockquote");
      appendBlocks(node, body);
      parent.append(node);
    } else if (listItem.test(line)) {
      index = appendList(parent, lines, index);
    } else if (startsTable(lines, index)) {
      index = appendTable(parent, lines, index);
    } else {
      const body = [];
      while (index < lines.length && lines[index].trim() !== "" && !startsBlock(lines, index)) body.push(lines[index++].trim());
      const node = document.createElement("p");
      body.forEach((text, position) => {
        if (position > 0) node.append(document.createElement("br"));
        appendInline(node, text);
      });
      parent.append(node);
    }
  }
}

function startsBlock(lines, index) {
  const line = lines[index];
  return fence.test(line) || heading.test(line) || rule.test(line) || quote.test(line) || listItem.test(line) || startsTable(lines, index);
}

function startsTable(lines, index) {
  const next = lines[index + 1];
  return lines[index].includes("|") && next !== undefined && next.includes("-") && tableSeparator.test(next);
}

/** A list from `lines[start]` on: items at its indent, deeper lines nested in the item above them. */
function appendList(parent, lines, start) {
  const first = listItem.exec(lines[start]);
  const indent = first[1].length;
  const ordered = /\d/.test(first[2]);
  const list = document.createElement(ordered ? "ol" : "ul");
  if (ordered && Number.parseInt(first[2], 10) !== 1) list.setAttribute("start", String(Number.parseInt(first[2], 10)));
  let index = start;
  while (index < lines.length) {
    const match = listItem.exec(lines[index]);
    if (!match || match[1].length < indent || /\d/.test(match[2]) !== ordered) break;
    const item = document.createElement("li");
    const body = [match[3]];
    index += 1;
    // Lines indented under the item (a wrapped line, a nested list, code) belong to it.
    while (index < lines.length && lines[index].trim() !== "") {
      const nested = listItem.exec(lines[index]);
      const lineIndent = lines[index].length - lines[index].trimStart().length;
      if (nested && nested[1].length <= indent) break;
      if (!nested && lineIndent <= indent && startsBlock(lines, index)) break;
      body.push(lines[index].slice(Math.min(lineIndent, indent + 2)));
      index += 1;
    }
    if (body.length === 1) appendInline(item, body[0]);
    else appendBlocks(item, body);
    list.append(item);
    // One blank line between items keeps the list going.
    if (index + 1 < lines.length && lines[index]?.trim() === "" && listItem.test(lines[index + 1])) {
      const next = listItem.exec(lines[index + 1]);
      if (next[1].length === indent && /\d/.test(next[2]) === ordered) index += 1;
    }
  }
  parent.append(list);
  return index;
}

function appendTable(parent, lines, start) {
  const cells = (line) => {
    let text = line.trim();
    if (text.startsWith("|")) text = text.slice(1);
    if (text.endsWith("|")) text = text.slice(0, -1);
    return text.split("|").map((cell) => cell.trim());
  };
  const table = document.createElement("table");
  const head = table.createTHead().insertRow();
  for (const cell of cells(lines[start])) {
    const node = document.createElement("th");
    appendInline(node, cell);
    head.append(node);
  }
  const body = table.createTBody();
  let index = start + 2;
  while (index < lines.length && lines[index].includes("|") && lines[index].trim() !== "") {
    const row = body.insertRow();
    for (const cell of cells(lines[index])) appendInline(row.insertCell(), cell);
    index += 1;
  }
  parent.append(table);
  return index;
}

function codeBlock(text, language) {
  const wrapper = document.createElement("div");
  wrapper.className = "code";
  if (language) {
    const label = document.createElement("p");
    label.className = "code-label";
    label.textContent = language;
    wrapper.append(label);
  }
  const pre = document.createElement("pre");
  const code = document.createElement("code");
  if (language) code.className = `language-${language}`;
  code.textContent = text;
  pre.append(code);
  wrapper.append(pre);
  return wrapper;
}

// Inline spans, found left to right: the earliest match wins, code first among equals (nothing inside it is parsed).
// Emphasis spans at most 400 characters, so that a long line with an unclosed `*` costs a bounded scan.
const inlineRules = [
  { kind: "code", pattern: /(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/ },
  { kind: "link", pattern: /\[([^\]]+)\]\(\s*<?([^\s)>]+)>?(?:\s+"[^"]*")?\s*\)/ },
  { kind: "autolink", pattern: /\bhttps?:\/\/[^\s<>()]+[^\s<>().,;:!?'"]/ },
  { kind: "strong", pattern: /(\*\*|__)(?=\S)([^\n]{0,400}?\S)\1/ },
  { kind: "strike", pattern: /~~(?=\S)([^\n]{0,400}?\S)~~/ },
  { kind: "em", pattern: /(\*|\b_)(?=\S)([^\n]{0,400}?\S)\1(?!\w)/ },
];

function appendInline(parent, text) {
  let rest = text;
  while (rest.length > 0) {
    let best = null;
    for (const rule of inlineRules) {
      const match = rule.pattern.exec(rest);
      if (match && (best === null || match.index < best.match.index)) best = { rule, match };
    }
    if (best === null) {
      parent.append(document.createTextNode(rest));
      return;
    }
    const { rule, match } = best;
    if (match.index > 0) parent.append(document.createTextNode(rest.slice(0, match.index)));
    parent.append(inlineNode(rule.kind, match));
    rest = rest.slice(match.index + match[0].length);
  }
}

function inlineNode(kind, match) {
  switch (kind) {
    case "code": {
      const node = document.createElement("code");
      node.textContent = match[2].trim() === "" ? match[2] : match[2].replace(/^ (.*) $/s, "$1");
      return node;
    }
    case "link":
    case "autolink": {
      const target = kind === "link" ? match[2] : match[0];
      if (!/^(https?:|mailto:)/i.test(target)) return document.createTextNode(match[0]);
      const node = document.createElement("a");
      node.href = target;
      node.rel = "noopener noreferrer nofollow";
      node.target = "_blank";
      if (kind === "link") appendInline(node, match[1]);
      else node.textContent = target;
      return node;
    }
    case "strong":
    case "em": {
      const node = document.createElement(kind);
      appendInline(node, match[2]);
      return node;
    }
    default: {
      const node = document.createElement("del");
      appendInline(node, match[1]);
      return node;
    }
  }
}
