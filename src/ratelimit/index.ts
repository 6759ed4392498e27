export { createRateLimiter, type AuthThrottle, type CallInput, type RateLimiter } from './limiter.js';
export { isRateLimitedError, RateLimitedError, retryAfterSeconds } from './errors.js';
