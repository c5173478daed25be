"""Why a drafter gave no plan, as data: a code and its parameters, rendered in the viewer's language at the edge.

Every code has a `plan.reason.<code>` text in the i18n table (a test walks `CODES`). Parameters are numbers, host
names, format names and exception class names, never a library's English message, so a Chinese page shows Chinese.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from diagnosis.i18n import t

CODES = (
    "no_endpoint",         # nothing configured
    "bad_url",             # {url}: not an http(s) address
    "client_error",        # {error}: the client could not be built or failed before any request
    "drafter_error",       # {error}: any other exception escaped a drafter
    "connection_refused",  # {host}: nothing listens there
    "cannot_connect",      # {host}: DNS, TLS, unreachable
    "authentication",      # {status}: the key was refused
    "rate_limited",        # {status}: still limited after the one retry
    "http_error",          # {status}
    "no_first_token",      # {seconds}: the server never started answering
    "stall",               # {seconds}: the stream stopped mid-answer
    "deadline",            # {seconds}: the overall deadline ended the attempt
    "connection_lost",     # the connection broke mid-answer
    "format_refused",      # {formats}: every response format was refused
    "context_overflow",    # {needed}, {suggest}: the server said the prompt is too long (or answered empty)
    "context_too_small",   # {n_ctx}, {needed}, {suggest}: known before sending; no request made
    "truncated",           # {max_tokens}: the answer hit the output budget twice
    "invalid_answer",      # {where}: the answer was not a valid plan, also after the repair round
    "unreadable_answer",   # {error}: the body was not a chat completion
)


@dataclass(frozen=True)
class Reason:
    code: str
    params: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown fallback reason code '{self.code}'")

    def text(self, lang: str) -> str:
        return t(f"plan.reason.{self.code}", lang, **self.params)

    def as_json(self) -> dict:
        return {"code": self.code, "params": dict(self.params)}

    def dumps(self) -> str:
        """How the workspace stores it: data, rendered again in whoever's language reads it later."""
        return json.dumps(self.as_json(), ensure_ascii=False)


def error_name(exc: BaseException) -> str:
    """An exception as a parameter: its class name only (the message is a library's English)."""
    return type(exc).__name__
