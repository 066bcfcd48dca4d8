import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { sendError } from './errors.js';

/**
 * The demo page's Content-Security-Policy: only its own files (no inline script or style), no framing, no
 * plugins. With a real Clerk instance, Clerk's hosted sign-up also needs its Frontend API, its image host,
 * Cloudflare's bot check and inline styles (Clerk's CSS-in-JS; see Clerk's CSP guide).
 */
export function pageContentSecurityPolicy(clerkFrontendApi?: string): string {
  const clerk = clerkFrontendApi ? `https://${clerkFrontendApi}` : undefined;
  const directives: Record<string, string[]> = {
    'default-src': ["'self'"],
    'script-src': ["'self'", ...(clerk ? [clerk, 'https://challenges.cloudflare.com'] : [])],
    'style-src': ["'self'", ...(clerk ? ["'unsafe-inline'"] : [])],
    'connect-src': ["'self'", ...(clerk ? [clerk] : [])],
    'img-src': ["'self'", 'data:', ...(clerk ? ['https://img.clerk.com'] : [])],
    'worker-src': ["'self'", ...(clerk ? ['blob:'] : [])],
    'frame-src': clerk ? ['https://challenges.cloudflare.com'] : ["'none'"],
    'object-src': ["'none'"],
    'base-uri': ["'none'"],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
  };
  return Object.entries(directives)
    .map(([name, sources]) => `${name} ${sources.join(' ')}`)
    .join('; ');
}

/** Security headers on every answer of the page and its API. */
export function pageSecurityHeaders(clerkFrontendApi?: string): RequestHandler {
  const csp = pageContentSecurityPolicy(clerkFrontendApi);
  return (_req: Request, res: Response, next: NextFunction) => {
    res.set({
      'Content-Security-Policy': csp,
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Opener-Policy': 'same-origin',
    });
    next();
  };
}

/**
 * Answers only requests whose Host is one of `allowedHosts` (any port): a page on another name that resolves
 * to this machine (DNS rebinding) gets 421 instead of the demo's account routes.
 */
export function hostAllowList(allowedHosts: readonly string[]): RequestHandler {
  const allowed = new Set(allowedHosts.map((host) => host.toLowerCase()));
  return (req: Request, res: Response, next: NextFunction) => {
    const host = req.headers.host ?? '';
    const hostname = URL.canParse(`http://${host}`) ? new URL(`http://${host}`).hostname : '';
    if (allowed.has(hostname)) return next();
    sendError(res, 421, 'misdirected_request', 'This host name is not served here');
  };
}
