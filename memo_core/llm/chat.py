"""Chat clients the LLM generator talks to: an OpenAI-compatible endpoint or a local Hugging Face model.

A client only moves messages and text. Transport failures (429, 5xx, timeouts, dropped connections) are
retried here, with backoff; whether a reply is well formed is the generator's business.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypedDict

from memo_core.llm.config import HFBackendConfig, OpenAIBackendConfig


class Message(TypedDict):
    role: str  # "system" | "user" | "assistant"
    content: str


class ChatError(RuntimeError):
    """A request failed for good (retries spent, or a refusal no retry can fix)."""


@dataclass
class ChatStats:
    """What the client did, for run reports: requests, retries the transport made, requests that failed."""

    requests: int = 0
    retries: int = 0
    failures: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, requests: int = 0, retries: int = 0, failures: int = 0) -> None:
        with self._lock:
            self.requests += requests
            self.retries += retries
            self.failures += failures

    def to_json(self) -> dict[str, int]:
        return {"requests": self.requests, "retries": self.retries, "failures": self.failures}


class ChatClient(Protocol):
    """Sends one conversation and returns the reply's text."""

    name: str
    concurrency: int
    stats: ChatStats

    def complete(self, messages: Sequence[Message]) -> str: ...


_SLOTS: dict[tuple[str, str], threading.BoundedSemaphore] = {}
_SLOTS_LOCK = threading.Lock()


def _slots(base_url: str, model: str, size: int) -> threading.BoundedSemaphore:
    """One semaphore per endpoint and model in this process, so documents distilled in parallel (one client
    each) still keep at most ``concurrency`` requests in flight between them."""
    with _SLOTS_LOCK:
        return _SLOTS.setdefault((base_url, model), threading.BoundedSemaphore(size))


class OpenAIChat:
    """Chat completions through the ``openai`` SDK, which retries 408/409/429/5xx and timeouts with
    exponential backoff (honouring Retry-After); the key comes from an environment variable."""

    def __init__(self, config: OpenAIBackendConfig, environ: dict[str, str] | None = None) -> None:
        from openai import OpenAI

        env = os.environ if environ is None else environ
        api_key = env.get(config.api_key_env)
        if not api_key:
            raise ChatError(
                f"generator.openai: the API key is read from ${config.api_key_env}, which is not set "
                f"(set it, or point generator.openai.api_key_env at the variable that holds it)"
            )
        self.config = config
        self.name = f"openai:{config.model}"
        self.concurrency = config.concurrency
        self.stats = ChatStats()
        self._slots = _slots(config.base_url, config.model, config.concurrency)
        self._client = OpenAI(
            base_url=config.base_url,
            api_key=api_key,
            timeout=config.timeout_s,
            max_retries=config.max_retries,
        )

    def complete(self, messages: Sequence[Message]) -> str:
        import openai

        options: dict[str, Any] = {
            "model": self.config.model,
            "messages": list(messages),
            "temperature": self.config.temperature,
            "max_tokens": self.config.max_tokens,
        }
        if self.config.json_mode:
            options["response_format"] = {"type": "json_object"}
        try:
            with self._slots:
                raw = self._client.chat.completions.with_raw_response.create(**options)
        except openai.APIError as error:
            # The SDK has already retried what can be retried; the request is lost for good.
            status = getattr(error, "status_code", None)
            retried = status is None or status in (408, 409, 429) or status >= 500
            self.stats.add(requests=1, retries=self.config.max_retries if retried else 0, failures=1)
            raise ChatError(f"{self.name} at {self.config.base_url}: {error}") from error
        self.stats.add(requests=1, retries=raw.retries_taken)
        completion = raw.parse()
        if not completion.choices:
            return ""
        return completion.choices[0].message.content or ""


class HFChat:
    """A local causal LM: the conversation goes through the tokenizer's chat template, decoding is greedy so
    the same documents give the same reflections."""

    def __init__(self, config: HFBackendConfig) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if not config.model:
            raise ChatError("generator.hf.model is empty: set it to a local model directory")
        self.config = config
        self.name = f"hf:{config.model}"
        self.concurrency = 1  # one model, one forward pass at a time
        self.stats = ChatStats()
        self._lock = threading.Lock()
        device = config.device
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self._tokenizer = AutoTokenizer.from_pretrained(config.model)
        if self._tokenizer.chat_template is None:
            raise ChatError(
                f"{config.model}: the tokenizer has no chat template; use an instruction-tuned model"
            )
        self._folds_system = not _renders_system(self._tokenizer)
        model: Any = AutoModelForCausalLM.from_pretrained(config.model)
        self._model = model.to(device).eval()
        self._device = device

    def render(self, messages: Sequence[Message]) -> str:
        """The prompt text the model sees, through its chat template."""
        return str(
            self._tokenizer.apply_chat_template(
                self._turns(messages), add_generation_prompt=True, tokenize=False
            )
        )

    def _turns(self, messages: Sequence[Message]) -> list[dict[str, str]]:
        """The conversation as the template takes it: a template that ignores or refuses the system role
        gets the system text at the head of the first user turn, so its rules still reach the model."""
        turns = [{"role": m["role"], "content": m["content"]} for m in messages]
        if self._folds_system and turns and turns[0]["role"] == "system":
            system = turns.pop(0)["content"]
            if turns and turns[0]["role"] == "user":
                turns[0]["content"] = f"{system}\n\n{turns[0]['content']}"
            else:
                turns.insert(0, {"role": "user", "content": system})
        return turns

    def complete(self, messages: Sequence[Message]) -> str:
        import torch

        encoded: Any = self._tokenizer.apply_chat_template(
            self._turns(messages), add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        input_ids = encoded["input_ids"].to(self._device)
        with self._lock, torch.no_grad():
            output = self._model.generate(
                input_ids=input_ids,
                attention_mask=encoded["attention_mask"].to(self._device),
                max_new_tokens=self.config.max_new_tokens,
                do_sample=False,
                pad_token_id=self._tokenizer.pad_token_id or self._tokenizer.eos_token_id,
            )
        self.stats.add(requests=1)
        reply = output[0, input_ids.shape[1] :]
        return str(self._tokenizer.decode(reply, skip_special_tokens=True))


def _renders_system(tokenizer: Any) -> bool:
    """Whether the chat template shows a system message (some drop it silently, some raise)."""
    probe = "memo-system-probe"
    try:
        text = tokenizer.apply_chat_template(
            [{"role": "system", "content": probe}, {"role": "user", "content": "?"}], tokenize=False
        )
    except Exception:  # jinja raises whatever the template author chose
        return False
    return probe in str(text)
