"""Options shared by the command groups: the addresses of Kafka and the schema registry."""

from __future__ import annotations

from typing import Annotated

import typer

from keybus.errors import InvalidTopicNameError
from keybus.settings import local_bootstrap_servers, local_registry_url
from keybus.types import check_topic_name

__all__ = ["BootstrapServersOption", "RegistryOption", "check_topic_option"]

BootstrapServersOption = Annotated[
    str,
    typer.Option(
        "--bootstrap-servers",
        "-b",
        envvar="KEYBUS_BOOTSTRAP_SERVERS",
        default_factory=local_bootstrap_servers,
        show_default=False,
        help="Kafka, as host:port[,host:port]. Default: KEYBUS_BOOTSTRAP_SERVERS, else the "
        "local east region at 127.0.0.1:KEYBUS_EAST_KAFKA_PORT (9092 unless set).",
    ),
]
RegistryOption = Annotated[
    str,
    typer.Option(
        "--registry",
        envvar="KEYBUS_REGISTRY_URL",
        default_factory=local_registry_url,
        show_default=False,
        help="Schema registry base URL. Default: KEYBUS_REGISTRY_URL, else the local east "
        "region at http://127.0.0.1:KEYBUS_EAST_REGISTRY_PORT (8081 unless set).",
    ),
]


def check_topic_option(topic: str, setting: str) -> None:
    """Raise unless `topic` is a valid Kafka topic name.

    Args:
        setting: the option or argument that gave the name, put first in the message.

    Raises:
        InvalidTopicNameError: the name breaks Kafka's rule.
    """
    try:
        check_topic_name(topic)
    except InvalidTopicNameError as exc:
        raise InvalidTopicNameError(f"{setting}: {exc.message}", topic=topic) from exc
