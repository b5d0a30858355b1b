// Preloaded into a Hookyard process (`node --import <this> start.ts`): prints one stderr
// line per OpenTelemetry package module it loads, the API excepted (pg-boss always loads
// that), so a test can tell whether the SDK was loaded at all.
import { registerHooks } from 'node:module';

const seen = new Set<string>();
registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    const name = /node_modules\/(@opentelemetry\/[^/]+)\//.exec(resolved.url)?.[1];
    if (name && name !== '@opentelemetry/api' && !seen.has(name)) {
      seen.add(name);
      process.stderr.write(`otel module loaded: ${name}\n`);
    }
    return resolved;
  },
});
