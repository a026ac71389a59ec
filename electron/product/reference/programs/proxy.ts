/**
 * The reference product's proxy service: listens on its port with /status; `-bootstrap=install`
 * writes its bootstrap marker (the real proxy sets up its certificates there).
 */
import { runSimpleService } from '../runtime/service.js';

runSimpleService('proxy', { bootstrapMarker: true });
