import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { loadAppConfig } from './app.config.js';
import { HeartbeatModule } from './heartbeat/index.js';

/**
 * The standalone heartbeat server: the module configured from `HB_*` environment variables.
 * Being the application, it owns the scheduler and calls `ScheduleModule.forRoot()` once.
 */
@Module({
  imports: [
    ScheduleModule.forRoot(),
    HeartbeatModule.forRootAsync({
      useFactory: () => loadAppConfig(process.env).heartbeat,
    }),
  ],
})
export class AppModule {}
