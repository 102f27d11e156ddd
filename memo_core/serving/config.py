"""``memo serve`` settings: interface, alias served, API key, request limits. Pydantic only."""

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    pass


class ServeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = Field("127.0.0.1", description="interface to listen on")
    port: int = Field(8080, ge=1, le=65535)
    alias: str = Field("champion", description="the registry alias (or version) served")
    api_key_env: str | None = Field(
        None,
        description="variable holding the API key clients must send as 'Authorization: Bearer'; unset: open",
    )
    max_request_bytes: int = Field(65_536, ge=1024, description="larger request bodies get 413")
    max_questions: int = Field(64, ge=1, description="questions per memory query")
    max_question_chars: int = Field(2_000, ge=1)
    reload_interval_s: float = Field(30.0, ge=0, description="how often the alias is looked up again")
