"""Domain errors: every failure a user can cause, each with a one-line message naming the field at fault.

The CLI turns these into one line on stderr and exit code 2; the app shows them with st.error.
"""

from __future__ import annotations


class AdvisorError(Exception):
    """Base of every error the advisor raises on purpose; its message is fit to show a user as it is."""


class ScenarioError(AdvisorError, ValueError):
    """A scenario file or object that is unreadable or breaks the v1 contract."""


class CatalogError(AdvisorError, ValueError):
    """A catalog file that does not validate (names the file and how to fix it)."""


SHORT_LIST = 6
NAMED_IN_FULL = ("quantisation",)
"""Kinds of id whose every choice an error names, however many: short names with no listing of their own."""
"""Up to this many known ids, an unknown-id message lists them all."""


class UnknownIdError(AdvisorError, LookupError):
    """An id that is not in the catalog; the message suggests the closest ids."""

    def __init__(self, kind: str, given: str, known: list[str], field: str | None = None) -> None:
        import difflib

        self.kind, self.given = kind, given
        close = difflib.get_close_matches(given.lower(), known, n=3, cutoff=0.5)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        where = f"{field}: " if field else ""
        given = given if len(given) <= 60 else given[:57] + "..."  # a 500 KB id is not echoed whole
        see = {
            "task": "tasks",
            "hardware": "hardware",
            "model": "models",
            "API model": "api-models",
            "engine": "engines",
        }.get(kind)
        listing = f" (see `advisor catalog {see}`)" if see else ""
        if len(known) <= SHORT_LIST or kind in NAMED_IN_FULL:  # a handful of choices, or short names: all of them
            listing = f" (one of {', '.join(known)})" + (f"; `advisor catalog {see}` says more" if see else "")
        super().__init__(f"{where}unknown {kind} {given!r}{hint}{listing}")


class NoSamplePromptsError(UnknownIdError):
    """A task id without a prompt set; the message lists the task ids that have one."""

    def __init__(self, task_id: str, known: list[str]) -> None:
        import difflib

        self.kind, self.given = "task", task_id
        close = difflib.get_close_matches(task_id.lower(), known, n=1, cutoff=0.5)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        # Not UnknownIdError.__init__: its message points at `advisor catalog tasks`, which lists tasks without prompts.
        Exception.__init__(
            self, f"no sample prompts for task {task_id!r}{hint} (prompts exist for: {', '.join(known)})"
        )


class PriceError(AdvisorError, LookupError):
    """An API model or provider genai-prices does not know or cannot price for text."""


class FitError(AdvisorError, ValueError):
    """A fit question that cannot be answered (e.g. a quantisation the model has no size for)."""
