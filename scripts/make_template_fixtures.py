#!/usr/bin/env python3
"""Regenerates the expected renderings of chat templates that Tern's template tests compare against, byte for byte.

- Tests/Fixtures/chat-templates/cases.json: each template in Tests/Fixtures/chat-templates/*.jinja rendered for a few
  conversations. `tojson` is rendered two ways: transformers' json.dumps-based filter (style "transformers") and
  Jinja2's own HTML-safe filter (style "jinja2").
- Tests/Fixtures/chat-templates/expressions.json: single expressions and statements, with and without transformers'
  whitespace settings.
- Tests/Fixtures/chat-templates/llama-templates.json: every template of llama.cpp's `models/templates/*.jinja` (real
  models' templates; not committed, see scripts/fetch_llama_sources.py) rendered for LLAMA_CONVERSATIONS, each with
  and without the generation prompt, with the SHA-256 of each template so that other template files are noticed.
  A render that fails records the error instead: the message of `raise_exception`, or the Python exception.

Templates are rendered with Python Jinja2 configured as transformers configures it (ImmutableSandboxedEnvironment,
trim_blocks and lstrip_blocks on, loop controls, the `{% generation %}` tag, raise_exception and strftime_now globals,
its json.dumps-based `tojson`), with strftime_now fixed at FIXED_TIME.

Run from the repository root: python3 scripts/make_template_fixtures.py
(llama.cpp's templates are read from $TERN_LLAMA_SOURCES, or from the folder scripts/fetch_llama_sources.py prints.)
"""

import argparse
import datetime
import hashlib
import json
import os
import pathlib
import subprocess
import sys

import jinja2
import jinja2.ext
import jinja2.nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Tests" / "Fixtures" / "chat-templates"
FIXED_TIME = 1721952000  # 2024-07-26 00:00:00 UTC


class GenerationTag(jinja2.ext.Extension):
    """transformers' `{% generation %}…{% endgeneration %}` (its AssistantTracker): the body rendered as a call block."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_render"), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def environment(style):
    env = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=[GenerationTag, jinja2.ext.loopcontrols]
    )

    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def strftime_now(fmt="%Y-%m-%d %H:%M:%S"):
        return datetime.datetime.fromtimestamp(FIXED_TIME, datetime.timezone.utc).strftime(fmt)

    if style == "transformers":

        def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
            return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

        env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def msg(role, content, **extra):
    return {"role": role, "content": content, **extra}


BASIC = [msg("user", "Hello!")]
SYSTEM = [msg("system", "You are a concise assistant."), msg("user", "What is 2+2?")]
MULTI = [
    msg("user", "Hi there"),
    msg("assistant", "Hello! How can I help?"),
    msg("user", "Tell me a joke."),
    msg("assistant", "Why did the chicken cross the road?"),
    msg("user", "Why?"),
]
SPECIAL = [
    msg("system", "  Quotes: 'single' \"double\" `back` \\ backslash\n\tTab and newline  "),
    msg("user", "Unicode: héllo wörld — 日本語 🎉👍🏽 <tag> & {{ not_code }} {% not_a_tag %}"),
    msg("assistant", "</think>Reasoning hidden</think>Answer: ∑ 1/n² = π²/6"),
    msg("user", "Line one\nLine two\r\nLine three\n\n"),
]
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city. Uses <b>live</b> data & 'quotes'.",
        "parameters": {
            "type": "object",
            "properties": {
                "location": {"type": "string", "description": "City, e.g. Zürich"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer", "minimum": 1, "maximum": 7.5},
            },
            "required": ["location"],
        },
    },
}
TIME_TOOL = {
    "type": "function",
    "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}},
}
TOOL_CHAT = [
    msg("system", "You can call tools."),
    msg("user", "Weather in Zürich?"),
    msg(
        "assistant",
        "",
        tool_calls=[{"type": "function", "function": {"name": "get_weather", "arguments": {"location": "Zürich", "unit": "celsius"}}}],
    ),
    msg("tool", '{"temperature": 21.5, "condition": "sunny"}'),
    msg("user", "Thanks!"),
]
TOOL_CHAT_PARALLEL = [
    msg("user", "Weather and time?"),
    msg(
        "assistant",
        "Checking both.",
        tool_calls=[
            {"type": "function", "function": {"name": "get_weather", "arguments": {"location": "Paris"}}},
            {"type": "function", "function": {"name": "get_time", "arguments": {}}},
        ],
    ),
    msg("tool", "18C"),
    msg("tool", "12:00"),
]
IMAGE_CONTENT = [
    msg("system", [{"type": "text", "text": "Describe images."}]),
    msg("user", [{"type": "image"}, {"type": "text", "text": " What is this? "}]),
]

MESSAGE_SETS = {"basic": BASIC, "system": SYSTEM, "multi": MULTI, "special": SPECIAL}

# (template, message-set names, extra context)
PLAN = [
    ("smollm2", MESSAGE_SETS, {}),
    ("chatml", MESSAGE_SETS, {}),
    ("llama3", MESSAGE_SETS, {}),
    ("llama31", MESSAGE_SETS, {}),
    ("llama31", {"tools": TOOL_CHAT}, {"tools": [WEATHER_TOOL, TIME_TOOL]}),
    ("llama31", {"tools-system-prompt": TOOL_CHAT}, {"tools": [WEATHER_TOOL], "tools_in_user_message": False, "date_string": "01 Jan 2025"}),
    ("llama31", {"builtin-tools": SYSTEM}, {"builtin_tools": ["brave_search", "code_interpreter", "wolfram_alpha"]}),
    ("llama31", {"parallel-calls": TOOL_CHAT_PARALLEL}, {"tools": [WEATHER_TOOL]}),
    ("gemma2", MESSAGE_SETS, {}),
    ("gemma3", MESSAGE_SETS, {}),
    ("gemma3", {"image-content": IMAGE_CONTENT}, {}),
    ("mistral", MESSAGE_SETS, {}),
    ("mixtral-system", MESSAGE_SETS, {}),
    ("qwen25", MESSAGE_SETS, {}),
    ("qwen25", {"tools": TOOL_CHAT, "parallel-calls": TOOL_CHAT_PARALLEL}, {"tools": [WEATHER_TOOL, TIME_TOOL]}),
    ("phi3", MESSAGE_SETS, {}),
    ("zephyr", MESSAGE_SETS, {}),
    ("deepseek-r1", MESSAGE_SETS, {}),
    ("kitchen-sink", MESSAGE_SETS, {}),
    ("kitchen-sink", {"tools": SYSTEM}, {"tools": [WEATHER_TOOL, TIME_TOOL]}),
]

TOKENS = {
    "smollm2": ("<|im_start|>", "<|im_end|>"),
    "chatml": ("<s>", "<|im_end|>"),
    "llama3": ("<|begin_of_text|>", "<|eot_id|>"),
    "llama31": ("<|begin_of_text|>", "<|eot_id|>"),
    "gemma2": ("<bos>", "<eos>"),
    "gemma3": ("<bos>", "<eos>"),
    "mistral": ("<s>", "</s>"),
    "mixtral-system": ("<s>", "</s>"),
    "qwen25": ("", "<|im_end|>"),
    "phi3": ("<s>", "<|endoftext|>"),
    "zephyr": ("<s>", "</s>"),
    "deepseek-r1": ("<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"),
    "kitchen-sink": ("<s>", "</s>"),
}



# Single expressions and statements, rendered both with transformers' whitespace settings and with Jinja2's defaults.
EXPRESSIONS = [
 ("{{ 1 + 2 * 3 }}", {}),
 ("{{ 2 ** 3 ** 2 }}", {}),
 ("{{ -2 ** 2 }}", {}),
 ("{{ 7 / 2 }} {{ 6 / 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7.0 // 2 }} {{ -7 % 3 }} {{ 7.5 % 2 }}", {}),
 ("{{ 'ab' * 3 }}{{ [1] * 2 }}", {}),
 ("{{ 'a' ~ 1 ~ 2.0 ~ none ~ true }}", {}),
 ("{{ 1 == 1.0 }} {{ true == 1 }} {{ 'a' < 'b' }} {{ [1,2] < [1,3] }} {{ 1 != 2 }}", {}),
 ("{{ not true or false and true }}", {}),
 ("{{ 'x' if false }}|{{ 'y' if true else 'z' }}", {}),
 ("{{ 0 or 'fallback' }} {{ 'a' and 'b' }} {{ [] or none }}", {}),
 ("{{ 'hello'[1:3] }} {{ 'hello'[-1] }} {{ [1,2,3,4][::2] }} {{ [1,2,3][::-1] }} {{ 'abc'[5:] }}|", {}),
 ("{{ \"a\\nb\\t\\x41\\u00e9\\\\ \\'q\\'\" }}", {}),
 ("{{ 'it''s' }}", {}),
 ("{{ 1_000 + 0x10 }} {{ 1e3 }} {{ 2.50 }}", {}),
 ("{{ 1e20 }} {{ 1e-5 }} {{ 0.1 + 0.2 }} {{ 1/3 }}", {}),
 ("{{ x }}|{{ x is defined }}|{{ x | default('d') }}|{{ none | default('d') }}|{{ '' | default('d', true) }}", {}),
 ("{{ d.missing }}|{{ d['missing'] is undefined }}|{{ d.k }}", {"d": {"k": "v"}}),
 ("{% for x in [] %}a{% else %}empty{% endfor %}", {}),
 ("{% for k, v in d | dictsort %}{{ k }}{{ v }}{% endfor %}", {"d": {"b": 2, "a": 1, "C": 3}}),
 ("{% for x in range(5) if x is odd %}{{ loop.index }}/{{ loop.length }}:{{ x }} {% endfor %}", {}),
 ("{% for x in 'abc' %}{{ loop.revindex0 }}{{ loop.previtem | default('-') }}{{ loop.nextitem | default('-') }}{{ loop.cycle('o', 'e') }} {% endfor %}", {}),
 ("{% for a in [1, 2] %}{% for b in [3, 4] %}{{ loop.depth }}{{ a }}{{ b }} {% endfor %}{% endfor %}", {}),
 ("{% set x = 1 %}{% for i in [1] %}{% set x = 2 %}{% endfor %}{{ x }}", {}),
 ("{% set ns = namespace(x=1) %}{% for i in [1, 2, 3] %}{% set ns.x = ns.x * 2 %}{% endfor %}{{ ns.x }}", {}),
 ("{% set a, b = [1, 2] %}{{ b }}{{ a }}{% set c = 1, 2 %}{{ c | length }}", {}),
 ("{% macro greet(name, greeting='Hello') %}{{ greeting }}, {{ name }}!{% endmacro %}{{ greet('Ann') }} {{ greet('Bob', greeting='Hi') }}", {}),
 ("{% macro fact(n) %}{% if n <= 1 %}1{% else %}{{ n * (fact(n - 1) | int) }}{% endif %}{% endmacro %}{{ fact(6) }}", {}),
 ("{% macro wrap() %}[{{ caller() }}]{% endmacro %}{% call wrap() %}inside{% endcall %}", {}),
 ("{{ [3, 1, 2] | sort | join(',') }} {{ ['b', 'A', 'c'] | sort(reverse=true) | join }} {{ [{'n': 2}, {'n': 1}] | sort(attribute='n') | map(attribute='n') | join }}", {}),
 ("{{ ['a', 'A', 'b'] | unique | list }} {{ [1, 2, 3] | sum }} {{ [1.5, 2] | sum }} {{ [] | first is undefined }}", {}),
 ("{{ 'Hello World' | lower }} {{ 'hello world' | upper }} {{ 'hELLO wORLD' | capitalize }} {{ \"they're bill's-friends (ok)\" | title }} {{ \"they're\".title() }}", {}),
 ("{{ '  x  '.strip() }}|{{ 'xxhixx'.strip('x') }}|{{ '  x '.lstrip() }}|{{ ' x  '.rstrip() }}|{{ 'a b  c'.split() }}|{{ 'a,b'.split(',') }}|{{ 'a b c'.split(' ', 1) }}|{{ 'a b c'.rsplit(' ', 1) }}", {}),
 ("{{ 'abc'.startswith('ab') }} {{ 'abc'.endswith(('x', 'c')) }} {{ 'aXa'.replace('a', 'b') }} {{ 'abc'.find('c') }} {{ 'abab'.count('ab') }} {{ '-'.join(['a', 'b']) }}", {}),
 ("{% for k, v in d.items() %}{{ k }}={{ v }},{% endfor %} {{ d.keys() | list }} {{ d.values() | list }} {{ d.get('a') }} {{ d.get('z') }} {{ d.get('z', 0) }}", {"d": {"a": 1, "b": [2]}}),
 ("{{ 'a' in 'cat' }} {{ 1 in [1, 2] }} {{ 'k' in {'k': 1} }} {{ 3 not in [1] }}", {}),
 ("{{ 3 is divisibleby(3) }} {{ 4 is divisibleby 3 }} {{ 'a' is equalto 'a' }} {{ 1 is eq 2 }} {{ none is not none }} {{ 1.5 is integer }} {{ 1.5 is float }} {{ true is number }} {{ true is integer }} {{ 'ab' is lower }} {{ x is iterable }} {{ 'ab' is sequence }} {{ 2 is gt 1 }} {{ 1 is in [1] }} {{ false is sameas false }}", {}),
 ("{{ [1, 'a', none, true, 1.5, {'k': [1]}, \"q'\"] }}", {}),
 ("{{ d | tojson }} {{ d | tojson(indent=2) }} {{ [] | tojson }} {{ {} | tojson(indent=2) }} {{ 'é<>&\\'\"\\n' | tojson }}", {"d": {"b": 1, "a": [1.5, None, True, "x"]}}),
 ("{{ -1 | abs }} {{ 2.5 | round }} {{ 2.45 | round(1) }} {{ 2.4 | round(0, 'ceil') }} {{ '3.9' | float | int }} {{ 'x' | int(7) }} {{ 3 | string ~ 'a' }}", {}),
 ("{{ 'text' | center(10) }}| {{ 'a\\nb\\n\\nc' | indent(2, true) }}| {{ 'a\\nb' | indent(first=true, blank=true) }}| {{ 'one, two three' | wordcount }}", {}),
 ("{{ [1,2,3,4,5] | batch(2) | list }} {{ [1, 2, 3] | max }} {{ ['b', 'a'] | min }} {{ [1, 2, 3] | select('odd') | list }} {{ [0, 1, ''] | select | list }} {{ [1, 2, 3] | reject('odd') | list }}", {}),
 ("{{ m | selectattr('role', 'eq', 'user') | map(attribute='c') | join(',') }}|{{ m | rejectattr('role', 'eq', 'user') | list | length }}|{{ m | selectattr('x') | list }}|{{ m | map(attribute='x', default='-') | join }}", {"m": [{"role": "user", "c": "1"}, {"role": "bot", "c": "2", "x": True}, {"role": "user", "c": "3"}]}),
 ("{{ ['a', 'b'] | map('upper') | join }} {{ 'abc' | list }} {{ 'abc' | reverse }} {{ {'a': 1} | items | list | length }} {{ 'x' | length }} {{ [1, 2] | last }} {{ 'ab' | first }}", {}),
 ("{{ '<b>' | e }} {{ '<b>' | safe }} {{ 'a' | string | length }}", {}),
 ("{% for i in range(3) %}{% if i == 1 %}{% continue %}{% endif %}{{ i }}{% endfor %}|{% for i in range(10) %}{% if i == 3 %}{% break %}{% endif %}{{ i }}{% endfor %}|{{ range(2, 10, 3) | list }}|{{ range(5, 0, -2) | list }}", {}),
 ("{% raw %}{{ x }}{% endraw %}", {}),
 ("{% filter upper %}ab{{ 'c' }}{% endfilter %}{% set v %} x {% endset %}[{{ v }}]", {}),
 ("{% set ns = namespace() %}{{ ns.missing is defined }}{{ namespace(a=1).a }}{{ namespace({'b': 2}, c=3).b }}", {}),
 ("{{ messages[0].content }}{{ messages[0]['role'] }}", {"messages": [{"role": "user", "content": "Hi"}]}),
 ("{{ ('a' ~ 'b') | upper }} {{ -3 | abs }} {{ (1, 2)[1] }} {{ [[1, 2]][0][1] }} {{ {'a': {'b': 'c'}}.a.b }}", {}),
 ("{% set d = {0: 'a', 512: 'b', 1.0: 'c', true: 'd'} %}{{ d }} {{ d[0] }} {{ d[1] }} {% for k, v in d | dictsort %}{{ k }}={{ v }};{% endfor %} {{ 512 in d }} {{ d | tojson }} {{ d.get(512) }}", {}),
 ("{% set g = [1, 2, 3] | select('odd') %}{{ 'yes' if g else 'no' }} {{ g | list }} {{ g | list }} {{ [] | map('upper') is iterable }} {{ ([] | select) is sequence }} {{ none | map(attribute='x') | list }} {{ [3, 1] | reverse | list }} {{ [1, 2, 2] | unique | list | length }} {{ {'a': 1} | items | list | length }} {{ [1, 2] | map('string') | first }} {{ 'x' in ['a', 'x'] | reverse }}", {}),
 ("{% for m in messages | selectattr('role', 'eq', 'user') %}{{ loop.index }}{{ m.content }}{% endfor %}{% for k in {'b': 1, 'a': 2} | reverse %}{{ k }}{% endfor %}", {"messages": [{"role": "user", "content": "a"}, {"role": "bot", "content": "b"}, {"role": "user", "content": "c"}]}),
 ("{{ '<{}|{}>'.format(1, 'a') }} {{ '{0}{1}{0}'.format('a', 'b') }} {{ '{x}-{{y}}'.format(x=2) }} {{ '{!r}'.format('q') }} {{ '{}'.format(none) }}", {}),
 ("{{ ('<b>' | safe) + '<i>' }} {{ '<i>' + ('<b>' | safe) }} {{ ('<b>' | safe) ~ '<i>' }} {{ '<a>' | e }} {{ ('<a>' | e) | e }} {{ '<a>' | forceescape | forceescape }} {{ ('a<' | safe) * 2 }} {{ ('<b>' | safe) is escaped }} {{ '<b>' is escaped }} {{ ('x' | safe) is string }}", {}),
 ("{{ ('<b> ' | safe).strip() + '&' }} {{ (', ' | safe).join(['<', 'b']) }} {{ ('<{}>' | safe).format('&') }} {{ ('AB' | safe | lower) + '<' }} {{ ('ab' | safe)[0] + '<' }} {{ ('<b>' | safe | replace('b', 'i')) + '<' }} {{ ('x' | safe) == 'x' }} {{ 'abcdefghij' | safe | truncate(5, true, '<', 0) }} {{ ['<a>', 'b'] | join(', ' | safe) }} {{ [('<a>' | safe)] | first + '<' }} {{ (x | safe) + '<' }}", {}),
 ("{% if false %}{{ x | no_such_filter }}{% endif %}ok{{ y | nope if false else 'fine' }}{% if false %}{{ 1 is no_such_test }}{% endif %}", {}),
 ("{% set a = 1 %}{% for i in [1] %}{% generation %}{% set a = 2 %}[{{ a }}{{ i }}]{% endgeneration %}{% endfor %}{{ a }}", {}),
 ("{{ {'b': 'é', 'a': [1, 2]} | tojson(ensure_ascii=True) }} {{ {'b': 1, 'a': 2} | tojson(sort_keys=true) }} {{ [1, {'x': 2}] | tojson(separators=(',', ':')) }} {{ {'a': [1]} | tojson(indent='\\t') }} {{ [1, [2]] | tojson(indent=1, separators=(';', '=')) }} {{ {'a': 1} | tojson(indent=0) }}", {}),
 ("{{ d['items']() | list | length }} {{ d['k'] }} {{ x | trim }}|{{ x | upper }}|{{ x | string }}|{{ x | safe }}|{{ (x | first) is undefined }} {{ 'e' in 'e\\u0301' }}", {"d": {"k": 1}}),
 ("{{ (x | default('<b>' | safe)) + '<' }} {{ '-'.join([('<a>' | safe), 'b']) }} {{ 'ab'.startswith(('a' | safe)) }} {{ ['<a>' | safe, 'b'] | map('upper') | join }} {{ ((['x'] | map(attribute='y', default=('<' | safe)) | first) + '<') }}", {}),
]

WHITESPACE = [
    ("  {% if true %}\n    x\n  {% endif %}\n", {}),
    ("a  {%- if true -%}  b  {%- endif -%}  c", {}),
    ("a\n {{- 'x' -}} \nb", {}),
    ("{# comment #}\nline\n  {#- c -#}  \n end", {}),
    ("  {# comment #}\nline", {}),
    ("{%+ if true %}\n  x{% endif +%}\n", {}),
    ("  {%+ if true %}x{% endif %}", {}),
    ("line\n    {% for i in [1,2] %}\n    item {{ i }}\n    {% endfor %}\n", {}),
    ("text\n", {}),
    ("text\n\n", {}),
    ("a\r\nb\rc", {}),
    ("  {% raw %}\n x {% endraw %}\ny", {}),
    ("{%- raw -%}  x  {%- endraw -%}", {}),
    ("{{ 'a' }}\n{{ 'b' }}\n", {}),
    ("  x {% if true %}y{% endif %}\n", {}),
    ("\t{% set v = 1 %}\t\n{{ v }}", {}),
    ("{% for m in messages %}\n  {{ m }}\n{% endfor %}", {"messages": ["a", "b"]}),
]


def expression_cases():
    cases = []
    for settings in (True, False):
        env = environment("transformers")
        env.trim_blocks = settings
        env.lstrip_blocks = settings
        for source, context in EXPRESSIONS + WHITESPACE:
            cases.append({"source": source, "context": context, "trim_blocks": settings, "rendered": env.from_string(source).render(**context)})
    return cases


# The conversations every llama.cpp template is rendered with: name -> (messages, tools); tools is None when there are
# none, as transformers passes it. Tool calls come in the shape
# of OpenAI requests (content null, arguments a JSON string) and as servers prepare them for templates (content "",
# arguments parsed into a mapping, as llama.cpp does for templates that read them as one). Call ids have nine
# alphanumeric characters, which Mistral's templates require.
def tool_call(call_id, name, arguments):
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


WEATHER_CALL_ARGUMENTS = {"location": "Zürich", "unit": "celsius"}
WEATHER_RESULT = '{"temperature": 21.5, "condition": "sunny"}'
LLAMA_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Get the current weather in a city. Uses <b>live</b> data & 'quotes'.",
            "parameters": {
                "type": "object",
                "properties": {
                    "location": {"type": "string", "description": "City, e.g. Zürich"},
                    "unit": {"type": "string", "description": "Temperature unit", "enum": ["celsius", "fahrenheit"]},
                    "days": {"type": "integer", "description": "Days ahead", "minimum": 0, "maximum": 7.5},
                },
                "required": ["location"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "get_time",
            "description": "Get the current time in a time zone.",
            "parameters": {"type": "object", "properties": {"timezone": {"type": "string", "description": "IANA name"}}, "required": []},
        },
    },
]
LLAMA_CONVERSATIONS = {
    "user": ([msg("user", "Hello! What can you do?")], None),
    "system": ([msg("system", "You are a helpful assistant. Answer briefly."), msg("user", "What is the capital of France?")], None),
    "multi-turn": (
        [
            msg("user", "Hi there"),
            msg("assistant", "Hello! How can I help you today?"),
            msg("user", "Tell me a joke about cats."),
        ],
        None,
    ),
    "tools": ([msg("system", "You are a helpful assistant."), msg("user", "What is the weather in Zürich?")], LLAMA_TOOLS),
    "tool-call-openai": (
        [
            msg("user", "What is the weather in Zürich?"),
            msg("assistant", None, tool_calls=[tool_call("call00001", "get_weather", json.dumps(WEATHER_CALL_ARGUMENTS, ensure_ascii=False))]),
            msg("tool", WEATHER_RESULT, tool_call_id="call00001"),
        ],
        LLAMA_TOOLS,
    ),
    "tool-call-parsed": (
        [
            msg("user", "What is the weather in Zürich?"),
            msg("assistant", "", tool_calls=[tool_call("call00001", "get_weather", WEATHER_CALL_ARGUMENTS)]),
            msg("tool", WEATHER_RESULT, tool_call_id="call00001"),
        ],
        LLAMA_TOOLS,
    ),
    "parallel-tool-calls": (
        [
            msg("system", "You are a helpful assistant."),
            msg("user", "Weather in Paris, and the time?"),
            msg(
                "assistant",
                "",
                tool_calls=[
                    tool_call("call00002", "get_weather", {"location": "Paris"}),
                    tool_call("call00003", "get_time", {}),
                ],
            ),
            msg("tool", "18C, cloudy", tool_call_id="call00002"),
            msg("tool", "12:00", tool_call_id="call00003"),
            msg("assistant", "It is 18C and cloudy in Paris; the time is 12:00."),
            msg("user", "Thanks!"),
        ],
        LLAMA_TOOLS,
    ),
}

# What transformers passes besides messages and tools (None when not given, so `documents is defined` holds).
LLAMA_CONTEXT = {"documents": None}

# bos_token and eos_token per template file (first matching name part wins); others get "<s>" and "</s>".
LLAMA_TOKENS = [
    (("meta-llama", "firefunction", "meetkai", "Hermes-3-Llama-3.1", "Hermes-2-Pro-Llama-3"), ("<|begin_of_text|>", "<|eot_id|>")),
    (("deepseek", "Spark"), ("<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>")),
    (("gemma",), ("<bos>", "<eos>")),
    (("granite",), ("<|end_of_text|>", "<|end_of_text|>")),
    (("Phi-3.5",), ("<s>", "<|endoftext|>")),
    (("Cohere",), ("<BOS_TOKEN>", "<|END_OF_TURN_TOKEN|>")),
    (("gpt-oss", "llm-jp"), ("<|startoftext|>", "<|return|>")),
    (("Qwen", "QwQ", "SmolLM3", "MiMo", "MiniCPM", "LFM", "Bielik", "Nemotron-3", "StepFun"), ("<|im_start|>", "<|im_end|>")),
]


def llama_tokens(file_name):
    for parts, tokens in LLAMA_TOKENS:
        if any(part in file_name for part in parts):
            return tokens
    return ("<s>", "</s>")


def llama_folder(given):
    """The folder holding llama.cpp's models/templates: given, $TERN_LLAMA_SOURCES, or what fetch_llama_sources.py prints."""
    if given is not None:
        return given
    if os.environ.get("TERN_LLAMA_SOURCES"):
        return pathlib.Path(os.environ["TERN_LLAMA_SOURCES"])
    fetch = ROOT / "scripts" / "fetch_llama_sources.py"
    return pathlib.Path(subprocess.run([sys.executable, str(fetch)], check=True, capture_output=True, text=True).stdout.strip())


def render_outcome(template, context):
    """{"rendered": text}, {"raised": message} for raise_exception, or {"error": "Type: message"} for other failures."""
    try:
        return {"rendered": template.render(**context)}
    except Exception as error:  # Any failure is an expected outcome: the Swift side must fail too.
        if type(error) is jinja2.exceptions.TemplateError:
            return {"raised": str(error)}
        return {"error": f"{type(error).__name__}: {error}"}


def llama_template_cases(folder):
    env = environment("transformers")
    templates = {}
    paths = sorted((folder / "models" / "templates").glob("*.jinja"))
    if not paths:
        raise SystemExit(f"no templates under {folder / 'models' / 'templates'}")
    for path in paths:
        data = path.read_bytes()
        bos, eos = llama_tokens(path.name)
        entry = {"sha256": hashlib.sha256(data).hexdigest(), "bos_token": bos, "eos_token": eos, "cases": {}}
        template = env.from_string(data.decode("utf-8"))
        for name, (messages, tools) in LLAMA_CONVERSATIONS.items():
            for add_generation_prompt in (True, False):
                context = {
                    "messages": messages,
                    "tools": tools,
                    **LLAMA_CONTEXT,
                    "add_generation_prompt": add_generation_prompt,
                    "bos_token": bos,
                    "eos_token": eos,
                }
                key = f"{name}/{'gen' if add_generation_prompt else 'nogen'}"
                entry["cases"][key] = render_outcome(template, context)
        templates[path.name] = entry
    conversations = {name: {"messages": messages, "tools": tools} for name, (messages, tools) in LLAMA_CONVERSATIONS.items()}
    return {
        "jinja2": jinja2.__version__,
        "fixed_time": FIXED_TIME,
        "context": LLAMA_CONTEXT,
        "conversations": conversations,
        "templates": templates,
    }


def fixture_cases():
    environments = {style: environment(style) for style in ("transformers", "jinja2")}
    cases = []
    for template_name, message_sets, extra in PLAN:
        source = (FIXTURES / f"{template_name}.jinja").read_text(encoding="utf-8")
        uses_json = "tojson" in source and "tools" in extra
        styles = ["transformers", "jinja2"] if uses_json else ["transformers"]
        bos, eos = TOKENS[template_name]
        for set_name, messages in message_sets.items():
            for add_generation_prompt in (True, False):
                for style in styles:
                    context = {
                        "messages": messages,
                        "add_generation_prompt": add_generation_prompt,
                        "bos_token": bos,
                        "eos_token": eos,
                        **extra,
                    }
                    case = {
                        "name": f"{template_name}/{set_name}/{'gen' if add_generation_prompt else 'nogen'}/{style}",
                        "template": f"{template_name}.jinja",
                        "json_style": style,
                        "context": context,
                    }
                    try:
                        case["rendered"] = environments[style].from_string(source).render(**context)
                    except jinja2.exceptions.TemplateError as error:
                        case["error"] = str(error)
                    cases.append(case)
    return cases


def write(path, value):
    path.write_text(json.dumps(value, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=pathlib.Path, default=FIXTURES, help="folder to write the JSON files into")
    parser.add_argument("--llama-sources", type=pathlib.Path, help="the folder scripts/fetch_llama_sources.py prints")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    cases = fixture_cases()
    write(args.out / "cases.json", {"fixed_time": FIXED_TIME, "cases": cases})
    print(f"wrote {len(cases)} cases to cases.json")
    expressions = expression_cases()
    write(args.out / "expressions.json", {"cases": expressions})
    print(f"wrote {len(expressions)} cases to expressions.json")
    llama = llama_template_cases(llama_folder(args.llama_sources))
    write(args.out / "llama-templates.json", llama)
    count = sum(len(t["cases"]) for t in llama["templates"].values())
    print(f"wrote {len(llama['templates'])} templates, {count} cases to llama-templates.json")


if __name__ == "__main__":
    main()
