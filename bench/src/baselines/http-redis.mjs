// Baseline for the cached product read: the least a server can do for the same answer — one ioredis GET of
// the key the product service caches, its bytes written back as JSON. Port and key from the environment.
import http from 'node:http';
import { Redis } from 'ioredis';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const key = process.env.BENCH_KEY;
http
  .createServer(async (_req, res) => {
    const bytes = await redis.getBuffer(key);
    if (!bytes) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': bytes.length });
    res.end(bytes);
  })
  .listen(Number(process.env.PORT), '127.0.0.1', () => console.log('ready'));
