// What @kubernetes/client-node's KubeConfig (dist/config.js) imports from undici and from the generated API,
// for its generated clients only: makeApiClient's configuration and the fetch dispatcher of their calls.
// In the command line's bundle, scripts/bundle.mjs points those two imports of config.js here, so that
// loading KubeConfig for the rollback's write (kube-connection.ts: Node's https, KubeConfig's auth) does not
// load and evaluate 3 MB of JavaScript it does not use. kube-client.ts, which every use of the generated
// clients goes through, binds the real modules when it loads; until then nothing here is called.
// Everywhere else (the bot's bundle, tsx, vitest) config.js imports the real modules and this is unused.
import type { Agent as UndiciAgent, ProxyAgent as UndiciProxyAgent } from 'undici';
import type { createConfiguration as createGenConfiguration, ServerConfiguration as GenServerConfiguration } from '@kubernetes/client-node/dist/gen/index.js';

export interface KubeConfigImports {
  Agent: typeof UndiciAgent;
  ProxyAgent: typeof UndiciProxyAgent;
  createConfiguration: typeof createGenConfiguration;
  ServerConfiguration: typeof GenServerConfiguration;
}

let bound: KubeConfigImports | undefined;

export function bindKubeConfigImports(imports: KubeConfigImports): void {
  bound = imports;
}

function real(): KubeConfigImports {
  if (!bound) throw new Error("client-node's generated API was used before src/adapters/kube-client.ts loaded it (scripts/bundle.mjs defers it)");
  return bound;
}

// A constructor that returns an object makes `new` give that object: the real class's instance.
export class Agent {
  constructor(...args: ConstructorParameters<typeof UndiciAgent>) {
    return new (real().Agent)(...args);
  }
}

export class ProxyAgent {
  constructor(...args: ConstructorParameters<typeof UndiciProxyAgent>) {
    return new (real().ProxyAgent)(...args);
  }
}

export class ServerConfiguration {
  constructor(...args: ConstructorParameters<typeof GenServerConfiguration>) {
    return new (real().ServerConfiguration)(...args);
  }
}

export function createConfiguration(...args: Parameters<typeof createGenConfiguration>): ReturnType<typeof createGenConfiguration> {
  return real().createConfiguration(...args);
}
