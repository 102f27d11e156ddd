"""Where an LLM backend runs: an OpenAI-compatible endpoint or a local Hugging Face chat model. Shared by the
generator, the executive and the judge.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class OpenAIBackendConfig(BaseModel):
    """Any server speaking OpenAI's chat-completions protocol (OpenAI, vLLM, TGI, llama.cpp, Ollama...)."""

    model_config = ConfigDict(extra="forbid")

    base_url: str = Field("https://api.openai.com/v1", description="the endpoint's /v1 URL")
    model: str = Field("gpt-4o-mini", description="model name sent with every request")
    api_key_env: str = Field(
        "OPENAI_API_KEY", description="environment variable holding the API key (never the key itself)"
    )
    timeout_s: float = Field(120.0, gt=0, description="seconds before a request is abandoned and retried")
    max_retries: int = Field(
        5, ge=0, description="retries with exponential backoff on 429, 5xx, timeouts and dropped connections"
    )
    concurrency: int = Field(4, ge=1, description="requests in flight at once")
    json_mode: bool = Field(
        True, description="ask for response_format=json_object (off for servers without it)"
    )
    temperature: float = Field(0.0, ge=0)
    max_tokens: int = Field(2048, ge=1, description="cap on each reply")


class HFBackendConfig(BaseModel):
    """A local Hugging Face causal LM with a chat template, run with transformers."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(
        "", description="a local model directory (or a hub id where the machine has a network)"
    )
    device: str = Field("auto", description="auto: cuda when present, else cpu")
    max_new_tokens: int = Field(1024, ge=1)
