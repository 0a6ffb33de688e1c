// How the views name the route the bot drives and its routing rules, whatever the router.
import type { RouteRef, RoutingRule } from '../src/core/entities.js';
import { escapeMrkdwn } from './blocks.js';

/** "Ingress `mcp-gateway-canary`", "HTTPRoute `mcp-gateway`" (escaped mrkdwn). */
export function routeLabel(ref: RouteRef): string {
  return `${escapeMrkdwn(ref.kind)} \`${escapeMrkdwn(ref.name)}\``;
}

/** "header X-Canary: always", "cookie rust" (plain text: escape before mrkdwn). */
export function routingRuleText(rule: RoutingRule): string {
  return `${rule.kind} ${rule.name}${rule.value !== undefined ? `: ${rule.value}` : ''}`;
}
