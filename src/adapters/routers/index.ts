// TRAFFIC_ROUTER picks the router; both implement the core's TrafficRouter port.
import type { CanaryRoute } from '../../core/entities.js';
import type { TrafficRouter } from '../../core/ports.js';
import type { KubeConnection } from '../kube-connection.js';
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

export function createRouter(api: KubeConnection, config: RouterConfig): TrafficRouter {
  return config.kind === 'gateway-api' ? new GatewayApiRouter(api, { ...config, httpRoute: config.httpRoute }) : new IngressNginxRouter(api, config);
}

/** The router, telling `onRoute` every route it reads or writes (the bot's weight gauge). */
export function observeRoutes(router: TrafficRouter, onRoute: (route: CanaryRoute) => void): TrafficRouter {
  const observed = new Set<PropertyKey>(['readRoute', 'setPercent', 'resetToPrimary']);
  return new Proxy(router, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== 'function') return value;
      if (!observed.has(property)) return value.bind(target);
      return async (...args: unknown[]) => {
        const route = (await value.apply(target, args)) as CanaryRoute;
        onRoute(route);
        return route;
      };
    },
  });
}
