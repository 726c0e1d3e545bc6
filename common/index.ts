/**
 * The bottom floor: pure helpers both config/ and provider/ need. It imports
 * neither of them (nor anything else of this package).
 */
export { expandHome } from "./home";
export { IMAGE_REF } from "./image";
