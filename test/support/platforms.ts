import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { AbstractHttpAdapter } from '@nestjs/core';

/** One entry per HTTP platform the module supports; e2e suites run once per entry. */
export interface Platform {
  readonly name: 'express' | 'fastify';
  createAdapter(): AbstractHttpAdapter;
}

export const PLATFORMS: readonly Platform[] = [
  { name: 'express', createAdapter: () => new ExpressAdapter() },
  { name: 'fastify', createAdapter: () => new FastifyAdapter() },
];
