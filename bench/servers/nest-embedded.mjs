// The module embedded in a minimal Nest app (no front door): what a host that adds
// HeartbeatModule.forRoot() to its AppModule serves. BENCH_PLATFORM=express|fastify.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { HeartbeatModule } from '../../dist/heartbeat/index.js';

class AppModule {}
Module({ imports: [ScheduleModule.forRoot(), HeartbeatModule.forRoot({})] })(
  AppModule,
);

const fastify = process.env.BENCH_PLATFORM === 'fastify';
const adapter = fastify
  ? new (await import('@nestjs/platform-fastify')).FastifyAdapter()
  : undefined;
const app = adapter
  ? await NestFactory.create(AppModule, adapter, { logger: false })
  : await NestFactory.create(AppModule, { logger: false });
await app.listen(Number(process.env.PORT), '127.0.0.1');
console.log('ready');
