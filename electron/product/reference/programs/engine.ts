/** The reference product's engine service: listens on its port with /status and logs its readiness line. */
import { runSimpleService } from '../runtime/service.js';

runSimpleService('engine', { bootstrapMarker: false });
