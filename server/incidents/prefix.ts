export { destinationPrefix } from '../../protocol/address/prefix.ts';
