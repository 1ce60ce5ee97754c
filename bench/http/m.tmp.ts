import { Bench } from 'tinybench';
import { Container, provide, provideClass, supplied, supply, token } from 'libretto';
import { RequestContext, UserReader, UserStore } from './shared.js';
const Req = token<{ headers: Record<string, string> }>('Req');
const c = Container.build([
  supplied(Req),
  provide(UserStore, { value: new UserStore() }),
  provide(RequestContext, { deps: [Req], use: (r) => new RequestContext(String(r.headers['x-caller'] ?? 'a')), lifetime: 'request' }),
  provideClass(UserReader, [UserStore, RequestContext], { lifetime: 'request' }),
]);
const req = { headers: { 'x-caller': 'b' } };
const b = new Bench({ time: 2000 });
b.add('scope+2+close', () => { const s = c.createScope(supply(Req, req)); s.getNow(UserReader); s.close(); });
b.add('scope only', () => { const s = c.createScope(supply(Req, req)); s.close(); });
b.add('manual', () => { new UserReader(new UserStore(), new RequestContext(String(req.headers['x-caller']))); });
await b.run();
for (const t of b.tasks) console.log(t.name.padEnd(14), (1e9 / (t.result as any).throughput.mean).toFixed(0), 'ns');
