"""Schemathesis hooks: most generated requests name the served model, so that generation paths (and the documented
shape of successful responses) are exercised, not only `model_not_found`."""
import schemathesis


@schemathesis.hook
def map_body(context, body):
    if isinstance(body, dict) and isinstance(body.get("model"), str) and len(repr(body)) % 4 != 0:
        body["model"] = "gpt-4"
    return body
