// The auth suite's client process: runs sign-in jobs sent over its IPC channel, from its own process,
// so the server's event-loop measurement holds only the server's own work.
import { runSignIns, type SignInJob } from './auth-clients.ts';

process.on('message', (job: SignInJob) => {
  runSignIns(job).then(
    (times) => process.send?.({ times }),
    (error: unknown) => process.send?.({ error: error instanceof Error ? error.message : 'failed' }),
  );
});
