// oidc-provider as the anchor of bench/hub.sh: an OpenID-certified token server with the
// client-credentials grant (client_secret_basic), its in-memory store, access tokens opaque or
// HS256 JWTs (FORMAT), token introspection on, NODE_ENV=production; one process, or WORKERS
// processes sharing the port (node:cluster, each with its own memory). Listens on 127.0.0.1:PORT
// and prints "ready" once it does. Run from the directory oidc-provider is installed in.

import cluster from 'node:cluster';
import http from 'node:http';
import Provider from 'oidc-provider';

const PORT = Number(process.env.PORT);
const FORMAT = process.env.FORMAT === 'jwt' ? 'jwt' : 'opaque';
const WORKERS = Number(process.env.WORKERS || 1);
const CLIENT_ID = process.env.CLIENT_ID || 'bench';
const CLIENT_SECRET = process.env.CLIENT_SECRET || 'bench-client-secret-0123456789abcdef';
const JWT_KEY = Buffer.from('bench-jwt-signing-key-0123456789abcdef');

function serve() {
  const provider = new Provider(`http://127.0.0.1:${PORT}`, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    scopes: ['api'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => 'urn:finhub:bench',
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'api',
          accessTokenTTL: 1800,
          accessTokenFormat: FORMAT,
          ...(FORMAT === 'jwt' ? { jwt: { sign: { alg: 'HS256', key: JWT_KEY } } } : {}),
        }),
      },
    },
  });
  http.createServer(provider.callback()).listen(PORT, '127.0.0.1', () => {
    if (cluster.isPrimary) console.log('ready');
    else process.send?.('ready');
  });
}

if (WORKERS > 1 && cluster.isPrimary) {
  let ready = 0;
  for (let i = 0; i < WORKERS; i += 1) {
    cluster.fork().on('message', (message) => {
      ready += message === 'ready' ? 1 : 0;
      if (ready === WORKERS) console.log('ready');
    });
  }
  process.on('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers)) worker.kill();
    process.exit(0);
  });
} else {
  serve();
}
