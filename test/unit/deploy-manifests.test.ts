// The manifests in deploy/ agree with each other: what kustomize applies exists, Services select the
// Deployment's pods, and the example Ingress falls back to a Service of every pod (Redis outages); the Role
// grants the diagnostics reads only, on the names the bot's env (or its defaults) gives, each rule saying
// which check needs it.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll, load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { readConfig } from '../../src/config.js';

const DEPLOY = join(import.meta.dirname, '..', '..', 'deploy');
const docs = (file: string) => loadAll(readFileSync(join(DEPLOY, file), 'utf8')).filter(Boolean) as any[];
const deployment = docs('deployment.yaml').find((d) => d.kind === 'Deployment');
const podLabels: Record<string, string> = deployment.spec.template.metadata.labels;
const selects = (selector: Record<string, string>) => Object.entries(selector).every(([k, v]) => podLabels[k] === v);

describe('deploy/ manifests', () => {
  it('lists only files that exist in kustomization.yaml, and not the examples', () => {
    const resources: string[] = (load(readFileSync(join(DEPLOY, 'kustomization.yaml'), 'utf8')) as any).resources;
    for (const file of resources) expect(existsSync(join(DEPLOY, file)), file).toBe(true);
    expect(resources.filter((f) => f.includes('example'))).toEqual([]);
  });

  it('has Services that select the Deployment pods on their named http port', () => {
    const ports = deployment.spec.template.spec.containers.flatMap((c: any) => c.ports.map((p: any) => p.name));
    for (const service of [...docs('service.yaml'), ...docs('ingress.example.yaml')].filter((d) => d.kind === 'Service')) {
      expect(selects(service.spec.selector), service.metadata.name).toBe(true);
      expect(ports).toContain(service.spec.ports[0].targetPort);
    }
  });

  it('routes only /slack/events through the example Ingress, falling back to a Service of every pod', () => {
    const example = docs('ingress.example.yaml');
    const ingress = example.find((d) => d.kind === 'Ingress');
    const paths = ingress.spec.rules.flatMap((r: any) => r.http.paths);
    expect(paths.map((p: any) => [p.path, p.pathType, p.backend.service.name])).toEqual([['/slack/events', 'Exact', 'mcp-canary']]);
    expect(docs('service.yaml').map((s) => s.metadata.name)).toContain('mcp-canary');
    const fallbackName = ingress.metadata.annotations['nginx.ingress.kubernetes.io/default-backend'];
    const fallback = example.find((d) => d.kind === 'Service' && d.metadata.name === fallbackName);
    expect(fallback?.spec.publishNotReadyAddresses).toBe(true);
    expect(fallback.metadata.namespace).toBe(ingress.metadata.namespace);
  });

  it('grants the bot exactly the objects its env names, and never a delete or create of the HTTPRoute', () => {
    const role = docs('rbac.yaml').find((d) => d.kind === 'Role');
    const env = Object.fromEntries(deployment.spec.template.spec.containers[0].env.filter((e: any) => 'value' in e).map((e: any) => [e.name, e.value]));
    const rule = (group: string, resource: string, name: string) => role.rules.filter((r: any) => r.apiGroups.includes(group) && r.resources.includes(resource) && (r.resourceNames ?? []).includes(name));
    expect(role.metadata.namespace).toBe(env.K8S_NAMESPACE);
    expect(rule('networking.k8s.io', 'ingresses', env.CANARY_INGRESS).flatMap((r: any) => r.verbs).sort()).toEqual(['delete', 'get', 'patch']);
    expect(rule('gateway.networking.k8s.io', 'httproutes', env.HTTPROUTE).flatMap((r: any) => r.verbs).sort()).toEqual(['get', 'patch', 'update']);
    expect(role.rules.filter((r: any) => r.resources.includes('httproutes')).flatMap((r: any) => r.verbs)).not.toContain('delete');
    expect(role.rules.filter((r: any) => !r.resourceNames).flatMap((r: any) => r.verbs)).not.toContain('create');
  });

  it('grants the diagnostics reads only, and the service proxy on RUST_SERVICE:RUST_SERVICE_PORT exactly (the defaults when unset)', () => {
    const role = docs('rbac.yaml').find((d) => d.kind === 'Role');
    const env = Object.fromEntries(deployment.spec.template.spec.containers[0].env.filter((e: any) => 'value' in e).map((e: any) => [e.name, e.value]));
    const config = readConfig(env);
    const diagnostics = role.rules.filter((r: any) => r.resources.some((x: string) => ['pods', 'pods/log', 'events', 'endpointslices', 'services/proxy'].includes(x)));
    expect(diagnostics.flatMap((r: any) => r.resources).sort()).toEqual(['endpointslices', 'events', 'pods', 'pods/log', 'services/proxy']);
    for (const rule of diagnostics) expect(rule.verbs.filter((v: string) => !['get', 'list'].includes(v)), rule.resources.join()).toEqual([]);
    // Rules not limited by name read, never write.
    expect(role.rules.filter((r: any) => !r.resourceNames).flatMap((r: any) => r.verbs).filter((v: string) => !['get', 'list'].includes(v))).toEqual([]);
    const proxy = diagnostics.find((r: any) => r.resources.includes('services/proxy'));
    expect(proxy.resourceNames).toEqual([`${config.router.rustService}:${config.router.rustServicePort}`]);
    expect(proxy.verbs).toEqual(['get']);
  });

  it('grants get on the primary Ingress from the start (diagnose traffic compares the canary with it), apart from the cleanup-only patch', () => {
    const role = docs('rbac.yaml').find((d) => d.kind === 'Role');
    const env = Object.fromEntries(deployment.spec.template.spec.containers[0].env.filter((e: any) => 'value' in e).map((e: any) => [e.name, e.value]));
    const primary = readConfig(env).router.primaryIngress;
    const rules = role.rules.filter((r: any) => r.resources.includes('ingresses') && (r.resourceNames ?? []).includes(primary));
    expect(rules.map((r: any) => r.verbs)).toEqual([['patch'], ['get']]);
  });

  it('says, above every rule that grants a read, which diagnose check needs it', () => {
    const text = readFileSync(join(DEPLOY, 'rbac.yaml'), 'utf8');
    const role = docs('rbac.yaml').find((d) => d.kind === 'Role');
    const lines = text.split('\n');
    const starts = lines.flatMap((line, i) => (line.startsWith('  - apiGroups:') ? [i] : []));
    expect(starts).toHaveLength(role.rules.length);
    role.rules.forEach((rule: any, n: number) => {
      if (!rule.verbs.some((v: string) => v === 'get' || v === 'list')) return;
      const comment: string[] = [];
      for (let i = starts[n]! - 1; i >= 0 && lines[i]!.startsWith('  #'); i--) comment.unshift(lines[i]!);
      expect(comment.join(' '), `${rule.resources.join()} ${rule.resourceNames ?? ''}`).toMatch(/diagnose (traffic|shadow|mismatches)/);
    });
  });

  it('has example canary routes whose names match the env, an HTTPRoute with a split rule and a header rule', () => {
    const env = Object.fromEntries(deployment.spec.template.spec.containers[0].env.filter((e: any) => 'value' in e).map((e: any) => [e.name, e.value]));
    const [ingress] = docs('canary-ingress.example.yaml');
    expect(ingress.metadata.name).toBe(env.CANARY_INGRESS);
    expect(ingress.metadata.annotations['nginx.ingress.kubernetes.io/canary']).toBe('true');
    const [route] = docs('httproute.example.yaml');
    expect(route.metadata.name).toBe(env.HTTPROUTE);
    const backends = route.spec.rules.map((r: any) => r.backendRefs.map((b: any) => b.name).sort().join('+'));
    expect(backends).toEqual(['mcp-gateway-rust', 'mcp-gateway-python+mcp-gateway-rust']);
  });
});
