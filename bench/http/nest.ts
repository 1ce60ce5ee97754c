// NestJS on its Express platform: the same endpoint the Nest way — built-in pipes validate
// the path and query, the two dependencies are REQUEST-scoped providers (which makes the
// controller request-scoped too). `NEST_SCOPE=singleton` instead builds them in the
// handler, Nest's fastest form. Decorators are applied as plain calls so no compiler
// setting is needed.
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import {
  Controller,
  DefaultValuePipe,
  Get,
  Headers,
  Inject,
  Module,
  NotFoundException,
  Param,
  ParseBoolPipe,
  ParseUUIDPipe,
  Query,
  Scope,
} from '@nestjs/common';
import { NestFactory, REQUEST } from '@nestjs/core';
import { announce, RequestContext, stopOnSignal, UserReader, UserStore } from './shared.js';

const requestScoped = process.env.NEST_SCOPE !== 'singleton';

class UsersController {
  constructor(
    private readonly store: UserStore,
    private readonly reader: UserReader | undefined,
  ) {}

  get(id: string, detailed: boolean, caller: string | undefined) {
    const reader =
      this.reader ?? new UserReader(this.store, new RequestContext(caller ?? 'anonymous'));
    const user = reader.get(id, detailed);
    if (user === undefined) throw new NotFoundException('User not found');
    return { success: true, data: user, error: null };
  }
}
Reflect.decorate([Controller('users')], UsersController);
const get = Object.getOwnPropertyDescriptor(UsersController.prototype, 'get');
Reflect.decorate([Get(':id')], UsersController.prototype, 'get', get);
Param('id', new ParseUUIDPipe())(UsersController.prototype, 'get', 0);
Query('detailed', new DefaultValuePipe(false), ParseBoolPipe)(UsersController.prototype, 'get', 1);
Headers('x-caller')(UsersController.prototype, 'get', 2);
Inject(UserStore)(UsersController, undefined, 0);
Inject(requestScoped ? UserReader : 'NO_READER')(UsersController, undefined, 1);

const providers = requestScoped
  ? [
      { provide: UserStore, useValue: new UserStore() },
      {
        provide: RequestContext,
        scope: Scope.REQUEST,
        inject: [REQUEST],
        useFactory: (request: { headers: Record<string, unknown> }) =>
          new RequestContext(String(request.headers['x-caller'] ?? 'anonymous')),
      },
      {
        provide: UserReader,
        scope: Scope.REQUEST,
        inject: [UserStore, RequestContext],
        useFactory: (store: UserStore, context: RequestContext) => new UserReader(store, context),
      },
    ]
  : [
      { provide: UserStore, useValue: new UserStore() },
      { provide: 'NO_READER', useValue: undefined },
    ];

class AppModule {}
Reflect.decorate([Module({ controllers: [UsersController], providers })], AppModule);

const app = await NestFactory.create(AppModule, { logger: false });
await app.listen(0, '127.0.0.1');
announce((app.getHttpServer().address() as AddressInfo).port);
stopOnSignal(() => app.close());
