import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { loadAppConfig, type AppConfig } from './app.config.js';
import { AppModule } from './app.module.js';
import { setupStandaloneApp } from './app.setup.js';

async function bootstrap(config: AppConfig): Promise<void> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule, {
    bodyParser: false,
  });
  setupStandaloneApp(app, config);
  await app.listen(config.port, config.host);
  new Logger('Heartbeat').log(
    `heartbeat server listening on ${await app.getUrl()}`,
  );
}

let config: AppConfig;
try {
  config = loadAppConfig(process.env);
} catch (error) {
  console.error(`heartbeat: configuration error: ${(error as Error).message}`);
  process.exit(1);
}
await bootstrap(config);
