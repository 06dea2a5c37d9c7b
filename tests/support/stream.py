"""The StreamProjector as tests drive it: feed it the table's stream, read what it published."""

from dataclasses import dataclass
from typing import Any

from local.stack import EventRecorder, StreamFeed


@dataclass
class Stream:
    feed: StreamFeed
    recorder: EventRecorder
    tenant: str

    def project(self) -> int:
        """Hand every change not yet handled to the projector; how many records it handled."""
        return self.feed.pump()

    def published(self, detail_type: str) -> list[dict[str, Any]]:
        """The events of this test's tenant published so far, oldest first."""
        return [
            event
            for event in self.recorder.drain()
            if event["detail-type"] == detail_type and event["detail"].get("tenantId") == self.tenant
        ]
