// TRAFFIC_ROUTER picks the router; both implement the core's TrafficRouter port.
import type { TrafficRouter } from '../../core/ports.js';
import type { KubeApi } from '../kubernetes.js';
import { GatewayApiRouter } from './gateway-api.js';
import { IngressNginxRouter } from './ingress-nginx.js';

export interface RouterConfig {
  kind: 'ingress-nginx' | 'gateway-api';
  namespace: string;
  canaryIngress: string;
  primaryIngress: string;
  httpRoute: string;
  pythonService: string;
  rustService: string;
  rustServicePort: number;
  canaryRouteManifest?: string;
}

export function createRouter(api: KubeApi, config: RouterConfig): TrafficRouter {
  return config.kind === 'gateway-api' ? new GatewayApiRouter(api, { ...config, httpRoute: config.httpRoute }) : new IngressNginxRouter(api, config);
}
