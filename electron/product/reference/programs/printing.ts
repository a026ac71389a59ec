/** The reference product's printing service: listens on its port with /status and logs its readiness line. */
import { runSimpleService } from '../runtime/service.js';

runSimpleService('printing', { bootstrapMarker: false });
