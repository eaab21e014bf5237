# The seed's app/main.py: FastAPI with the /ws endpoint as the seed wrote it (subscribe, unsubscribe,
# ping), /health, and POST /api/ingest, which the seed names but never writes: it takes what the
# host takes ({"events":[...]} or NDJSON), validates each log into the seed's StructuredLog and hands
# it to the LogAggregator, and answers like the host ({"accepted","rejected","ids"}).
import asyncio
import json
import uuid
from contextlib import asynccontextmanager
from datetime import datetime, timezone

from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse

from app.log_aggregator import log_aggregator
from app.manager import manager
from app.models import StructuredLog


@asynccontextmanager
async def lifespan(app: FastAPI):
    persist = asyncio.create_task(log_aggregator.persist_logs())
    yield
    persist.cancel()


app = FastAPI(title="Mission Control (seed design)", lifespan=lifespan)


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    client_id = str(uuid.uuid4())
    await websocket.accept()
    await manager.connect(client_id, websocket)
    try:
        while True:
            data = await websocket.receive_text()
            message = json.loads(data)
            msg_type = message.get("type")
            if msg_type == "subscribe":
                channel = message.get("channel")
                await manager.subscribe(client_id, channel)
                await websocket.send_json({"type": "subscribed", "channel": channel, "request_id": message.get("request_id")})
            elif msg_type == "unsubscribe":
                channel = message.get("channel")
                await manager.unsubscribe(client_id, channel)
            elif msg_type == "ping":
                await websocket.send_json({"type": "pong"})
    except WebSocketDisconnect:
        await manager.disconnect(client_id)
    except Exception as e:
        print(f"WebSocket error: {e}")
        await manager.disconnect(client_id)


@app.get("/health")
async def health():
    return {"status": "ok"}


def events_of(body: bytes, content_type: str):
    """The request's events, or an error answer: the host's two body formats."""
    if content_type.startswith("application/x-ndjson"):
        events = []
        for line in body.decode().splitlines():
            if line.strip():
                try:
                    events.append(json.loads(line))
                except ValueError as e:
                    events.append(ValueError(f"not valid JSON: {e}"))
        return events, None
    if not content_type.startswith("application/json"):
        return None, JSONResponse({"error": {"code": "unsupported_media_type", "message": content_type}}, status_code=415)
    try:
        parsed = json.loads(body)
    except ValueError as e:
        return None, JSONResponse({"error": {"code": "invalid_json", "message": str(e)}}, status_code=400)
    if not isinstance(parsed, dict) or not isinstance(parsed.get("events"), list):
        return None, JSONResponse({"error": {"code": "bad_request", "message": "needs an \"events\" array"}}, status_code=400)
    return parsed["events"], None


@app.post("/api/ingest")
async def ingest(request: Request):
    events, error = events_of(await request.body(), request.headers.get("content-type", ""))
    if error:
        return error
    accepted, rejected, ids = 0, [], []
    for index, event in enumerate(events):
        try:
            if isinstance(event, Exception):
                raise event
            if not isinstance(event, dict) or event.get("type") != "log":
                raise ValueError("this peer takes log events only")
            fields = dict(event)
            fields["level"] = str(fields.get("level", "")).upper()  # the host accepts any case
            fields.setdefault("timestamp", datetime.now(timezone.utc))  # absent: the time of ingest
            fields.setdefault("message", "")
            fields.setdefault("context", {})
            log = StructuredLog(**fields)
        except Exception as e:
            rejected.append({"index": index, "reason": str(e)})
            continue
        log_id = event.get("id") or f"L-{uuid.uuid4()}"
        await log_aggregator.ingest_log(log, log_id)
        accepted += 1
        ids.append(log_id)
    return {"accepted": accepted, "rejected": rejected, "ids": ids}
