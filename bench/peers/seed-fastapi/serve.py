#!/usr/bin/env python3
# Starts the seed-design peer on loopback: serve.py --port PORT. uvicorn picks its WebSocket, HTTP and
# event-loop implementations as a default install does (websockets; httptools and uvloop when present).
import argparse
import os
import sys

import uvicorn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--access-log", action="store_true", help="uvicorn's per-request log line (off: it is not the design)")
    args = parser.parse_args()
    from app.main import app

    uvicorn.run(app, host=args.host, port=args.port, access_log=args.access_log, log_level="warning")
