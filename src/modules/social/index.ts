/** Social: follow / friend / invite edges, shares and their cascades, share touches and conversions. */
export { applySocialEvents, applySocialEvent, attributedShare, recordConversion, shareTouchOf, ATTRIBUTION_WINDOW_DAYS } from './apply.ts';
export { neighbours, sharesBy, cascade, topSharers, type Neighbour, type ShareStats, type CascadeNode } from './read.ts';
