"""Declarative topics: specs in YAML, planned and applied against a live cluster."""

from __future__ import annotations

from keybus.topics.errors import TopicPlanError, TopicSpecError
from keybus.topics.plan import ConfigChange, LiveTopic, TopicChange, apply_plan, describe_live, plan
from keybus.topics.spec import TopicsFile, TopicSpec, load_topics

__all__ = [
    "ConfigChange",
    "LiveTopic",
    "TopicChange",
    "TopicPlanError",
    "TopicSpec",
    "TopicSpecError",
    "TopicsFile",
    "apply_plan",
    "describe_live",
    "load_topics",
    "plan",
]
