// The parts of @kubernetes/client-node the bot uses, imported from their own modules: the package's index
// also loads exec/attach/port-forward (ws), cp (tar-fs), informers, metrics and their dependencies, which
// the bot never calls and which cost start-up time (the command line's rollback path above all).
import { createConfiguration, ServerConfiguration } from '@kubernetes/client-node/dist/gen/index.js';
import { Agent, ProxyAgent } from 'undici';
import { bindKubeConfigImports } from './kube-config-deferred.js';

bindKubeConfigImports({ Agent, ProxyAgent, createConfiguration, ServerConfiguration });

export {
  ApiException,
  AppsV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  NetworkingV1Api,
  Observable,
  type ConfigurationOptions,
  type ObservableMiddleware,
  type RequestContext,
  type V1Deployment,
  type V1EnvVarSource,
  type V1Ingress,
  type V1IngressBackend,
} from '@kubernetes/client-node/dist/gen/index.js';
export { setHeaderOptions } from '@kubernetes/client-node/dist/middleware.js';
export { PatchStrategy } from '@kubernetes/client-node/dist/patch.js';
export { loadYaml } from '@kubernetes/client-node/dist/yaml.js';
