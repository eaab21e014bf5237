// One WebSocket to /ws for the whole console. Views subscribe to the channels they show; the
// connection reconnects with backoff and resumes from the last event it saw (the host replays what
// it kept, and says `resume_gap` when it could not: views then refetch from REST).
import { currentToken } from './api';

export interface LiveEvent {
  type: string;
  seq: number;
  timestamp: string;
  source?: string;
  channels: string[];
  payload: any;
}

export type LiveState = 'connecting' | 'live' | 'reconnecting';
type Handler = (event: LiveEvent) => void;

class LiveConnection {
  private socket: WebSocket | null = null;
  private handlers = new Map<string, Set<Handler>>();
  private gapListeners = new Set<() => void>();
  private stateListeners = new Set<(state: LiveState) => void>();
  private epoch = '';
  private lastSeq = 0;
  private nextRequest = 1;
  private retryDelay = 500;
  private retryTimer: number | undefined;
  state: LiveState = 'connecting';
  role = '';
  received = 0;

  start(): void {
    if (this.socket) return;
    this.open();
  }

  // Reconnects now (after a login the token changed).
  restart(): void {
    this.socket?.close();
    this.socket = null;
    window.clearTimeout(this.retryTimer);
    this.open();
  }

  subscribe(channel: string, handler: Handler): () => void {
    let set = this.handlers.get(channel);
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
      this.sendIfOpen({ type: 'subscribe', channel, request_id: this.requestId() });
    }
    set.add(handler);
    return () => {
      const current = this.handlers.get(channel);
      if (!current) return;
      current.delete(handler);
      if (current.size === 0) {
        this.handlers.delete(channel);
        this.sendIfOpen({ type: 'unsubscribe', channel, request_id: this.requestId() });
      }
    };
  }

  onGap(listener: () => void): () => void {
    this.gapListeners.add(listener);
    return () => this.gapListeners.delete(listener);
  }

  onState(listener: (state: LiveState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  private requestId(): string {
    return 'c' + this.nextRequest++;
  }

  private sendIfOpen(message: unknown): void {
    if (this.socket && this.socket.readyState === WebSocket.OPEN && this.epoch) this.socket.send(JSON.stringify(message));
  }

  private setState(state: LiveState): void {
    if (this.state === state) return;
    this.state = state;
    this.stateListeners.forEach((l) => l(state));
  }

  private open(): void {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const token = currentToken();
    const url = `${scheme}//${location.host}/ws${token ? '?token=' + encodeURIComponent(token) : ''}`;
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.onmessage = (message) => this.receive(JSON.parse(String(message.data)));
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.setState('reconnecting');
      this.retryTimer = window.setTimeout(() => this.open(), this.retryDelay);
      this.retryDelay = Math.min(this.retryDelay * 2, 10000);
    };
  }

  private receive(message: any): void {
    switch (message.type) {
    case 'welcome': {
      const channels = [...this.handlers.keys()];
      const resuming = this.epoch !== '' && channels.length > 0;
      this.role = message.role;
      if (resuming) {
        this.socket?.send(JSON.stringify({ type: 'resume', request_id: this.requestId(), last_seq: this.lastSeq,
                                           epoch: this.epoch, channels }));
      }
      if (this.epoch !== message.epoch) this.lastSeq = 0;
      this.epoch = message.epoch;
      if (!resuming)
        for (const channel of channels) this.sendIfOpen({ type: 'subscribe', channel, request_id: this.requestId() });
      this.retryDelay = 500;
      this.setState('live');
      return;
    }
    case 'resume_gap':
    case 'dropped':
      this.gapListeners.forEach((l) => l());
      return;
    case 'subscribed': case 'unsubscribed': case 'resumed': case 'pong':
      return;
    default:
      break;
    }
    if (typeof message.seq !== 'number') return; // an error for a subscribe: nothing to route
    this.lastSeq = message.seq;
    this.received++;
    const called = new Set<Handler>();
    for (const channel of message.channels ?? []) {
      const set = this.handlers.get(channel);
      if (!set) continue;
      for (const handler of set) {
        if (called.has(handler)) continue;
        called.add(handler);
        handler(message as LiveEvent);
      }
    }
  }
}

export const live = new LiveConnection();
