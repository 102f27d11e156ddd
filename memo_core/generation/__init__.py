"""Generators: documents in, reflections (self-contained question-answer pairs) out."""

from memo_core.generation.base import Generator, build_generator
from memo_core.generation.config import GeneratorConfig

__all__ = ["Generator", "GeneratorConfig", "build_generator"]
