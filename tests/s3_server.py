"""A real S3 API for tests: moto's ThreadedMotoServer on 127.0.0.1, and buckets filled through boto3."""

from __future__ import annotations

import uuid
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

KEY, SECRET, REGION = "testing-key", "testing-secret", "eu-west-1"


def start_server(port: int = 0) -> ThreadedMotoServer:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return server


def options(endpoint: str, **extra: Any) -> dict[str, Any]:
    return {
        "key": KEY,
        "secret": SECRET,
        "client_kwargs": {"endpoint_url": endpoint, "region_name": REGION},
        **extra,
    }


def make_bucket(endpoint: str, objects: dict[str, bytes]) -> tuple[str, Any]:
    """A fresh bucket holding ``objects``; moto keeps state per process, so every test gets its own."""
    client = boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id=KEY, aws_secret_access_key=SECRET, region_name=REGION
    )
    bucket = f"memo-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    for key, body in objects.items():
        client.put_object(Bucket=bucket, Key=key, Body=body)
    return bucket, client
