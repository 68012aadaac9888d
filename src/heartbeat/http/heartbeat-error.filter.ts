import {
  Catch,
  Inject,
  Logger,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import { errorResponse } from '../core/errors.js';
import { HEARTBEAT_OPTIONS } from '../heartbeat.constants.js';
import { HeartbeatRegistry } from '../registry/heartbeat-registry.service.js';
import type { ResolvedHeartbeatOptions } from '../interfaces/heartbeat-module-options.interface.js';
import { sendPlainText, type PlainTextReply } from './plain-text.js';

/**
 * Renders every error on a heartbeat route as a one-line `ERROR: ...` plain-text body with the
 * protocol headers. Bound to the heartbeat controllers, it takes precedence over host-wide
 * filters, so the wire format stays the protocol's whatever the host installs.
 *
 * @publicApi
 */
@Catch()
export class HeartbeatErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('Heartbeat');

  constructor(
    private readonly registry: HeartbeatRegistry,
    @Inject(HEARTBEAT_OPTIONS)
    private readonly options: ResolvedHeartbeatOptions,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = errorResponse(exception, this.options);
    this.registry.recordRejection();
    if (response.status >= 500 && response.status !== 503) {
      this.logger.error(
        `unexpected error: ${exception instanceof Error ? (exception.stack ?? exception.message) : String(exception)}`,
      );
    }
    sendPlainText(
      host.switchToHttp().getResponse<PlainTextReply>(),
      response.status,
      response.body,
      this.options.corsOrigin,
      response.allow ? [['Allow', response.allow]] : [],
    );
  }
}
