import {
  Catch,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import { HeartbeatHttpHandler } from '../http/heartbeat-http.handler.js';
import type { PlainTextReply } from '../http/plain-text.js';

/**
 * Renders every error on a heartbeat route (a host guard's refusal, a body the platform could not
 * parse) as the HTTP handler's one-line `ERROR: ...` answer. Bound to the heartbeat controllers,
 * it takes precedence over host-wide filters, so the wire format stays the protocol's whatever
 * the host installs.
 *
 * @internal
 */
@Catch()
export class HeartbeatErrorFilter implements ExceptionFilter {
  constructor(private readonly handler: HeartbeatHttpHandler) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    this.handler.write(
      host.switchToHttp().getResponse<PlainTextReply>(),
      this.handler.errorAnswer(exception, host.switchToHttp().getRequest()),
    );
  }
}
