// Baseline for the cached product read: the least a server can do for the same answer — one ioredis GET of
// the key the product service caches (`<generation>\n<etag>\n<json>`), its JSON bytes written back with the
// ETag. Port and key from the environment.
import http from 'node:http';
import { Redis } from 'ioredis';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const key = process.env.BENCH_KEY;
http
  .createServer(async (_req, res) => {
    const value = await redis.getBuffer(key);
    const first = value ? value.indexOf(10) : -1;
    const second = first < 0 ? -1 : value.indexOf(10, first + 1);
    if (second < 0) {
      res.writeHead(404).end();
      return;
    }
    const body = value.subarray(second + 1);
    res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': body.length,
      etag: value.toString('latin1', first + 1, second),
    });
    res.end(body);
  })
  .listen(Number(process.env.PORT), '127.0.0.1', () => console.log('ready'));
