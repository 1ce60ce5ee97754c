// A NestJS hello app (Express platform) answering GET /health, plain JavaScript: decorators
// applied as calls, so nothing to transpile; on the port in PORT.
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

class HealthController {
  health() {
    return { status: 'ok' };
  }
}
Reflect.decorate([Controller()], HealthController);
const health = Object.getOwnPropertyDescriptor(HealthController.prototype, 'health');
Reflect.decorate([Get('health')], HealthController.prototype, 'health', health);

class AppModule {}
Reflect.decorate([Module({ controllers: [HealthController] })], AppModule);

const app = await NestFactory.create(AppModule, { logger: false });
app.enableShutdownHooks();
await app.listen(Number(process.env.PORT), '127.0.0.1');
