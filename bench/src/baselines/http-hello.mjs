// Baseline for the probes: node:http answering a constant JSON body, nothing else.
import http from 'node:http';

const body = Buffer.from('{"status":"ok"}');
http
  .createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
    res.end(body);
  })
  .listen(Number(process.env.PORT), '127.0.0.1', () => console.log('ready'));
