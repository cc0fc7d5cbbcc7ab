'use strict';
/** Nearest-rank percentile of an ascending array: `sorted[ceil(p/100 × n) − 1]` (clamped). */
function nearestRank(sorted, p) {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

module.exports = { nearestRank };
