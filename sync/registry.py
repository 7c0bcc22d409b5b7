"""The connectors we ship, by kind: the one place that lists them."""
from __future__ import annotations

from .base import Connector
from .filedrop import FileDropConnector
from .hubspot import HubSpotConnector
from .salesforce import SalesforceConnector
from .webhook import WebhookConnector

CONNECTORS: dict[str, type[Connector]] = {
    cls.kind: cls for cls in (HubSpotConnector, SalesforceConnector, WebhookConnector, FileDropConnector)
}


def connector_class(kind: str) -> type[Connector]:
    """The class for `kind`; KeyError names the kinds there are."""
    try:
        return CONNECTORS[kind]
    except KeyError:
        raise KeyError(f"no connector kind {kind!r}; choose one of {', '.join(sorted(CONNECTORS))}") from None
