# The seed's ConnectionManager (its app/websocket/manager.py): channel -> set of client ids, and a
# broadcast that awaits each client's send in turn, so one slow subscriber delays all the others
# and the publisher that called it. Kept as the seed wrote it.
from typing import Dict, Set


class ConnectionManager:
    def __init__(self):
        self.active_connections: Dict[str, object] = {}
        self.subscriptions: Dict[str, Set[str]] = {}  # channel -> client_ids

    async def connect(self, client_id: str, websocket):
        self.active_connections[client_id] = websocket
        print(f"Client {client_id} connected. Total: {len(self.active_connections)}")

    async def disconnect(self, client_id: str):
        if client_id in self.active_connections:
            del self.active_connections[client_id]
            for channel in list(self.subscriptions.keys()):
                self.subscriptions[channel].discard(client_id)
            print(f"Client {client_id} disconnected. Total: {len(self.active_connections)}")

    async def subscribe(self, client_id: str, channel: str):
        if channel not in self.subscriptions:
            self.subscriptions[channel] = set()
        self.subscriptions[channel].add(client_id)

    async def unsubscribe(self, client_id: str, channel: str):
        if channel in self.subscriptions:
            self.subscriptions[channel].discard(client_id)

    async def broadcast(self, channel: str, message: dict):
        """Broadcast to all clients subscribed to channel"""
        if channel not in self.subscriptions:
            return
        clients = list(self.subscriptions[channel])
        for client_id in clients:
            if client_id in self.active_connections:
                try:
                    await self.active_connections[client_id].send_json(message)
                except Exception as e:
                    print(f"Error sending to {client_id}: {e}")
                    await self.disconnect(client_id)


manager = ConnectionManager()
