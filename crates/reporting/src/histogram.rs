//! Exact percentiles of whole days in bounded memory: a count per day, not a list of values.

use serde::Serialize;

/// Durations longer than this many days are counted as this many (20 years).
const MAX_DAYS: usize = 7305;

/// A histogram of durations in whole days.
#[derive(Debug, Clone)]
pub struct DayHistogram {
    counts: Vec<u64>,
    total: u64,
}

impl Default for DayHistogram {
    fn default() -> Self {
        DayHistogram {
            counts: vec![0; MAX_DAYS + 1],
            total: 0,
        }
    }
}

impl DayHistogram {
    /// Counts one duration; negative durations (an event recorded before the report) count as 0.
    pub fn add(&mut self, days: i64) {
        let day = usize::try_from(days.max(0))
            .unwrap_or(MAX_DAYS)
            .min(MAX_DAYS);
        self.counts[day] += 1;
        self.total += 1;
    }

    /// The nearest-rank percentile `p` (0 < p <= 100): the smallest day count such that at least
    /// `p`% of the durations are no longer.
    pub fn percentile(&self, p: f64) -> Option<u32> {
        if self.total == 0 {
            return None;
        }
        let rank = ((p / 100.0) * self.total as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (day, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return u32::try_from(day).ok();
            }
        }
        None
    }

    /// Count, median and 90th percentile.
    pub fn summary(&self) -> Percentiles {
        Percentiles {
            count: self.total,
            median: self.percentile(50.0),
            p90: self.percentile(90.0),
        }
    }
}

/// How many durations, and their median and 90th percentile in days.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Percentiles {
    pub count: u64,
    pub median: Option<u32>,
    pub p90: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut days = DayHistogram::default();
        for d in [5, 1, 3, 2, 4, 10, 7, 8, 9, 6] {
            days.add(d);
        }
        assert_eq!(
            days.summary(),
            Percentiles {
                count: 10,
                median: Some(5),
                p90: Some(9)
            }
        );
        let mut one = DayHistogram::default();
        one.add(-3);
        assert_eq!(
            one.summary(),
            Percentiles {
                count: 1,
                median: Some(0),
                p90: Some(0)
            }
        );
        assert_eq!(DayHistogram::default().summary(), Percentiles::default());
    }
}
