/**
 * How long a function may run, in seconds: the stack gives every function this timeout and the local runtime
 * stops an invocation after it, so a handler that is too slow in AWS is too slow locally too. Well below API
 * Gateway's 29 s integration timeout (HTTP and WebSocket), so a slow handler is a function timeout, logged
 * and counted, rather than a gateway timeout nobody sees in the function's logs.
 */
export const FUNCTION_TIMEOUT_SECONDS = 10;
