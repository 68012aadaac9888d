import { ConfigurableModuleBuilder, type Type } from '@nestjs/common';
import type { HeartbeatModuleOptions } from '../interfaces/heartbeat-module-options.interface.js';
import { HeartbeatApiController } from './controllers/heartbeat-api.controller.js';
import { HeartbeatDashboardController } from './controllers/heartbeat-dashboard.controller.js';
import {
  HeartbeatAnyPrefixMonitorController,
  HeartbeatAnyPrefixProtocolController,
  HeartbeatMonitorController,
  HeartbeatProtocolController,
  HeartbeatTokenMonitorController,
  HeartbeatTokenProtocolController,
} from './controllers/heartbeat-routes.controllers.js';
import { HeartbeatWebhooksController } from './controllers/heartbeat-webhooks.controller.js';
import { HeartbeatPlatformBridge } from './heartbeat-platform.bridge.js';

/**
 * Module-shape switches, known synchronously even in `forRootAsync`. They never reach the options.
 *
 * @publicApi
 */
export interface HeartbeatModuleExtras {
  /**
   * Register the module globally so `HeartbeatRegistry` is injectable everywhere.
   * @default false
   */
  isGlobal?: boolean;
  /**
   * Mount the protocol routes (`hb_init`, `hb_ping`, `hb_done`).
   * @default true
   */
  protocol?: boolean;
  /**
   * Mount the monitoring routes (`list`, `status`).
   * @default true
   */
  monitoring?: boolean;
  /**
   * Also answer the protocol and monitoring routes as the last path segment after up to eight
   * prefix segments (`<mount>/a/b/hb_ping`), as the protocol's standalone server does. Off, they
   * are answered at the module's mount path only, so no host route is ever taken.
   * @default false
   */
  anyPrefix?: boolean;
  /**
   * Also answer the protocol and monitoring routes one segment below the mount path
   * (`<mount>/<token>/hb_ping`, `<mount>/<token>/status`), where clients that only set `HB_URL`
   * carry their token (see the `auth` option). Off, a token travels in the `Authorization`
   * header only, and no path below the mount path is taken from the host. Implied by
   * `anyPrefix`.
   * @default false
   */
  tokenInPath?: boolean;
  /**
   * Mount the JSON API (`GET apps`, `GET apps/:id`, `DELETE apps/:id`,
   * `GET webhooks/deliveries`).
   * @default false
   */
  api?: boolean;
  /**
   * Mount the live dashboard at the module's mount path: the page (`GET dashboard`), its
   * `dashboard.css` and `dashboard.js`, `GET dashboard/apps` and the event stream `GET events`.
   * @default false
   */
  dashboard?: boolean;
}

export const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<HeartbeatModuleOptions>({
  moduleName: 'Heartbeat',
})
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createHeartbeatOptions')
  .setExtras<HeartbeatModuleExtras>(
    {
      isGlobal: false,
      protocol: true,
      monitoring: true,
      anyPrefix: false,
      tokenInPath: false,
      api: false,
      dashboard: false,
    },
    (definition, extras) => {
      const controllers: Type[] = [];
      const pick = (anyPrefix: Type, token: Type, plain: Type): Type => {
        if (extras.anyPrefix) return anyPrefix;
        return extras.tokenInPath ? token : plain;
      };
      if (extras.protocol) {
        controllers.push(
          pick(
            HeartbeatAnyPrefixProtocolController,
            HeartbeatTokenProtocolController,
            HeartbeatProtocolController,
          ),
        );
      }
      if (extras.monitoring) {
        controllers.push(
          pick(
            HeartbeatAnyPrefixMonitorController,
            HeartbeatTokenMonitorController,
            HeartbeatMonitorController,
          ),
        );
      }
      if (extras.api) {
        controllers.push(HeartbeatApiController, HeartbeatWebhooksController);
      }
      if (extras.dashboard) controllers.push(HeartbeatDashboardController);
      // The protocol's way of reading bodies, on the host's platform, for the text routes.
      const providers =
        extras.protocol || extras.monitoring
          ? [...(definition.providers ?? []), HeartbeatPlatformBridge]
          : definition.providers;
      return {
        ...definition,
        global: extras.isGlobal,
        controllers,
        providers,
      };
    },
  )
  .build();

/**
 * Injection token of the raw options given to `forRoot`/`forRootAsync`, before defaults and
 * validation. Users inject `HEARTBEAT_OPTIONS` (the resolved options) instead.
 * @internal
 */
export const HEARTBEAT_MODULE_OPTIONS = MODULE_OPTIONS_TOKEN;

/**
 * What `forRoot()` accepts: options plus extras.
 * @publicApi
 */
export type HeartbeatModuleForRootOptions = typeof OPTIONS_TYPE;
/**
 * What `forRootAsync()` accepts: `useFactory`+`inject`, `useClass` or `useExisting`, plus extras.
 * @publicApi
 */
export type HeartbeatModuleAsyncOptions = typeof ASYNC_OPTIONS_TYPE;

/**
 * Implemented by classes given to `forRootAsync({ useClass })`.
 * @publicApi
 */
export interface HeartbeatOptionsFactory {
  createHeartbeatOptions():
    HeartbeatModuleOptions | Promise<HeartbeatModuleOptions>;
}
