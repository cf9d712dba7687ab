import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startServiceProcess, startTcpProxy, stopAllServiceProcesses, type TcpProxy } from '../src/index.js';

const entry = fileURLToPath(new URL('./fixtures/tiny-server.mjs', import.meta.url));

afterEach(async () => {
  await stopAllServiceProcesses();
});

describe('startServiceProcess', () => {
  it('starts a process on a free port with the given env, waits for /healthz and captures its logs', async () => {
    const app = await startServiceProcess({ entry, env: { GREETING: 'hello' } });
    const response = await fetch(`${app.url}/hello`);
    expect(await response.json()).toEqual({ greeting: 'hello' });
    await app.waitForLog((line) => line.msg === 'request' && line.url === '/hello');
    expect(app.logLines().map((l) => l.msg)).toContain('listening');
  });

  it('delivers signals and reports the exit code', async () => {
    const app = await startServiceProcess({ entry, env: { EXIT_CODE: '7' } });
    app.signal('SIGTERM');
    expect(await app.waitForExit()).toEqual({ code: 7, signal: null });
    expect(app.exited).toBe(true);
  });

  it('rejects with the captured output when the process dies before it is healthy', async () => {
    await expect(startServiceProcess({ entry, env: { CRASH_ON_START: 'true' } })).rejects.toThrow(
      /exited \(\{"code":3,"signal":null\}\)[\s\S]*boom: missing configuration/,
    );
  });

  it('stopAllServiceProcesses kills what is still running', async () => {
    const app = await startServiceProcess({ entry });
    await stopAllServiceProcesses();
    expect(await app.waitForExit()).toEqual({ code: null, signal: 'SIGKILL' });
  });
});

describe('startTcpProxy', () => {
  let proxy: TcpProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
  });

  const connects = (port: number) =>
    new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });

  it('forwards traffic, closes the port on stop() and reopens it on start()', async () => {
    const app = await startServiceProcess({ entry, env: { GREETING: 'via proxy' } });
    proxy = await startTcpProxy({ port: app.port });
    const viaProxy = await fetch(`http://127.0.0.1:${proxy.port}/`);
    expect(await viaProxy.json()).toEqual({ greeting: 'via proxy' });

    await proxy.stop();
    expect(await connects(proxy.port)).toBe(false);
    await proxy.start();
    expect(await connects(proxy.port)).toBe(true);
  });
});
