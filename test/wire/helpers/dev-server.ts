// Manual runner: starts the proxy with the test gateway and prints a connection string.
import { startWireServer } from '../../../src/wire/server.js';
import { createTestGateway } from './test-gateway.js';

const gw = await createTestGateway();
const { token } = await gw.store.createAgent('dev');
const srv = await startWireServer({ gateway: gw, config: { host: '127.0.0.1', port: Number(process.env.PORT ?? 0), approvalWaitSeconds: 5, maxMessageBytes: 1 << 20 } });
process.stdout.write(`postgresql://dev:${token}@127.0.0.1:${srv.port}/test\n`);
