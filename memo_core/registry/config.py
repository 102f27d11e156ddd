"""Registry settings: the MLflow tracking store, model name and experiment, and how long to retry it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RegistryConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tracking_uri: str | None = Field(
        None, description="MLflow tracking URI; default sqlite:///<store>/mlflow.db"
    )
    ui_url: str | None = Field(
        None,
        description="the MLflow UI that reports and logs link to; default the tracking server, or "
        "http://127.0.0.1:5000 (where `mlflow ui` serves a sqlite store)",
    )
    model_name: str = "memo-memory"
    experiment: str = "memo"
    artifact_root: str | None = Field(
        None, description="where runs keep artifacts; default <store>/mlartifacts"
    )
    request_retries: int = Field(
        2, ge=0, description="retries of a failed request to a tracking server, with 1, 2, 4... s between"
    )
    request_timeout_s: int = Field(
        8, ge=1, description="seconds to wait for each request; with the retries, about 30 s in all"
    )
