// What the public site shows about the marketplace as a whole (the landing page's live figures).
export { marketplaceFigures, type MarketplaceFigures, type Figure } from "./figures";
