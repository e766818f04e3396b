// A TCP proxy in front of a server on 127.0.0.1 that can stop forwarding bytes without closing anything,
// as a NAT or load balancer that forgot a connection does; and a listener that accepts and never answers.
import { createConnection, createServer, type Server, type Socket } from 'node:net';

interface Pipe {
  client: Socket;
  server: Socket;
  /** Everything the client sent so far (its first few KB): tells a subscriber from a command connection. */
  sent: string;
  frozen: boolean;
}

export interface StallingProxy {
  port: number;
  /** Stops forwarding, both ways, the open connections `which` picks (all when omitted); new ones flow. */
  freeze(which?: (sent: string) => boolean): number;
  close(): Promise<void>;
}

export async function startProxy(targetPort: number): Promise<StallingProxy> {
  const pipes = new Set<Pipe>();
  const server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    const pipe: Pipe = { client, server: upstream, sent: '', frozen: false };
    pipes.add(pipe);
    client.on('data', (chunk) => {
      if (pipe.sent.length < 4096) pipe.sent += chunk.toString('latin1');
      if (!pipe.frozen) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!pipe.frozen) client.write(chunk);
    });
    const end = () => {
      pipes.delete(pipe);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      socket.on('error', end);
      socket.on('close', () => {
        // A frozen path never tells the other side anything.
        if (!pipe.frozen) end();
      });
    }
  });
  await listen(server);
  return {
    port: (server.address() as { port: number }).port,
    freeze(which = () => true) {
      let n = 0;
      for (const pipe of pipes) {
        if (pipe.frozen || !which(pipe.sent)) continue;
        pipe.frozen = true;
        n++;
      }
      return n;
    },
    async close() {
      for (const pipe of pipes) {
        pipe.client.destroy();
        pipe.server.destroy();
      }
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A port that accepts connections and never sends a byte back (a hung server, a TLS port spoken to in plaintext). */
export async function startSilentListener(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await listen(server);
  return {
    port: (server.address() as { port: number }).port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
}
