# The seed's LogAggregator (its app/services/log_aggregator.py): every log goes into an unbounded
# queue and is broadcast at once, channel by channel, awaiting the ConnectionManager for each.
#
# Two changes, both needed for it to work at all: the message is the host's event shape (so one
# load generator reads every server alike) built with jsonable_encoder (the seed's log.dict() holds a
# datetime, which send_json cannot serialise: every send would fail and drop the client), and
# persist_logs keeps the seed's loop with its database insert still a comment (the seed never wrote
# one), so nothing is stored and the queue grows (one log taken per 100 ms), as in the seed.
import asyncio
from datetime import datetime, timezone

from fastapi.encoders import jsonable_encoder

from app.manager import manager as ws_manager
from app.models import StructuredLog


class LogAggregator:
    def __init__(self):
        self.log_buffer = asyncio.Queue()  # Unbounded queue
        self.seq = 0

    async def ingest_log(self, log: StructuredLog, log_id: str):
        """Ingest a log from MCP"""
        await self.log_buffer.put(log)
        channels = [
            "logs:*",
            f"logs:{log.thread_id}" if log.thread_id else None,
            f"logs:mcp:{log.mcp_id}",
            f"logs:{log.level}",
        ]
        channels = [c for c in channels if c]
        self.seq += 1
        payload = jsonable_encoder(log)
        payload["id"] = log_id
        message = {
            "type": "log",
            "seq": self.seq,
            "timestamp": datetime.now(timezone.utc).isoformat(),
            "source": "ingest",
            "channels": channels,
            "payload": payload,
        }
        for channel in channels:
            await ws_manager.broadcast(channel, message)

    async def persist_logs(self):
        """Persist buffered logs to database"""
        while True:
            log = await self.log_buffer.get()
            # Insert into database
            # db_session.add(LogRecord(log))
            # db_session.commit()
            await asyncio.sleep(0.1)  # Batch every 100ms


log_aggregator = LogAggregator()
