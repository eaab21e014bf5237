# The seed's data model for logs (its app/models.py), unchanged: pydantic validates every event.
from datetime import datetime
from typing import Literal, Optional

from pydantic import BaseModel


class StructuredLog(BaseModel):
    timestamp: datetime
    level: Literal["DEBUG", "INFO", "WARN", "ERROR"]
    service: str
    thread_id: Optional[str]
    mcp_id: str
    message: str
    context: dict
    exception: Optional[str]
