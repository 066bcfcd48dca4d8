export { type Fault, type StandInHandle } from './http.js';
export { startXataLiteStandIn, type XataLiteStandInHandle, type XataLiteStandInOptions } from './lite.js';
export { startXataStandIn, type XataStandInOptions } from './platform.js';
