import v8 from 'node:v8';

/**
 * Node 20's V8 (11.3) aborts the process under sustained load ("Fatal error … unreachable code" in
 * Deoptimizer::DoComputeBuiltinContinuation: deoptimising out of a builtin that TurboFan inlined).
 * The 10-minute soak hit it three times out of three after ~5 minutes. Without TurboFan inlining there
 * is no such frame to deoptimise. Imported first by main.ts, before any code is hot; the test runner
 * (scripts/run-tests.mjs) passes the same flag to every test process (a CI run lost one to it).
 */
v8.setFlagsFromString('--no-turbo-inlining');
