export { provisionDatabase, provisionStatusQuery } from './provision.js';
