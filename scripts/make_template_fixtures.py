#!/usr/bin/env python3
"""Regenerates Tests/Fixtures/chat-templates/cases.json: the expected renderings of the fixture chat templates.

Each template in Tests/Fixtures/chat-templates/*.jinja is rendered with Python Jinja2 configured as transformers
and llama-cpp-python configure it (ImmutableSandboxedEnvironment, trim_blocks and lstrip_blocks on, loop controls,
raise_exception and strftime_now globals). `tojson` is rendered two ways: transformers' json.dumps-based filter
(style "transformers") and Jinja2's own HTML-safe filter (style "jinja2").

Run from the repository root: python3 scripts/make_template_fixtures.py
"""

import datetime
import json
import pathlib

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Tests" / "Fixtures" / "chat-templates"
FIXED_TIME = 1721952000  # 2024-07-26 00:00:00 UTC


def environment(style):
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[jinja2.ext.loopcontrols])

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


def main():
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
    out = FIXTURES / "cases.json"
    out.write_text(json.dumps({"fixed_time": FIXED_TIME, "cases": cases}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(cases)} cases to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
