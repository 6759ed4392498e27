export { createRateLimiter, type AuthThrottle, type CallInput, type RateLimiter } from './limiter.js';
export { RateLimitedError, retryAfterSeconds } from './errors.js';
