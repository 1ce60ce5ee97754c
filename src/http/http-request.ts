import type { FastifyRequest } from 'fastify';
import { token } from '../di/token.js';

/** DI token of the current HTTP request, supplied to every request scope. */
export const HttpRequest = token<FastifyRequest>('HttpRequest');
