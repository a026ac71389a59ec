/** The reference product's dispatcher service: listens on its port with /status and logs its readiness line. */
import { runSimpleService } from '../runtime/service.js';

runSimpleService('dispatcher', { bootstrapMarker: false });
