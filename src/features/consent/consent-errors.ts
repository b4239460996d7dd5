import { AppError } from '../../lib/errors.ts';

/** A marketing message to a customer without a standing opt-in: refused before Meta is called. */
export class ConsentRequiredError extends AppError {
  constructor() {
    super(409, 'conflict', 'The customer has not opted in to marketing messages (or has opted out)');
  }
}
