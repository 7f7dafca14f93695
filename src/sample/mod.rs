//! Deterministic synthetic loyalty-card purchase exports with planted
//! customer behaviours.
//!
//! Real till exports cannot be shipped with the project, and a churn detector
//! can only be judged against data whose answers are known. This module
//! therefore simulates a small chain of three stores and a population of card
//! holders, each of whom follows one [`Behaviour`] (loyal, seasonal, slowly
//! defecting, ...). [`generate`] returns both the purchase lines and the
//! [`Truth`] per customer, so tests and benchmarks can score a detector.
//!
//! The data deliberately carries the noise of real exports: anonymous
//! (card-less) purchases, refunds, exact duplicate lines, non-ASCII store and
//! staff names, and a European writer that produces Windows-1252 with `;`,
//! decimal commas and `dd.mm.yyyy` dates.
//!
//! [`generate_feedback`] adds the customer feedback of a sample, with planted
//! causes ([`feedback_truth`]): a reason for leaving tied to one employee, a
//! common reason given more by valuable customers, a rare reason with little
//! value behind it, praise from active customers, free-text reason variants,
//! expectation-versus-perceived ratings, typo'd and anonymous customer ids.
//! It draws from streams of its own, so the purchases never change with it.
//!
//! Everything is driven by `ChaCha8Rng::seed_from_u64(seed)`: every customer
//! draws from its own ChaCha stream (`stream = index + 1`, anonymous
//! walk-ins use stream 0), so the same configuration always yields
//! byte-identical output, and customer `C000017` looks the same whether the
//! sample has 300 or 120,000 customers.
//!
//! The module is laid out as the flow: [`generate`](generate()) draws the purchases
//! (`generate.rs`), [`generate_feedback`] the feedback (`feedback.rs`), and the writers
//! turn both into the files a till would export (`write.rs`).

pub mod exports;
mod feedback;
mod generate;
mod write;

pub use feedback::{FeedbackLine, FeedbackTruth, feedback_truth, generate_feedback};
pub use generate::{generate, summary_counts};
pub use write::{write_feedback, write_purchases, write_purchases_european, write_truth};

use chrono::NaiveDate;

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SampleConfig {
    /// Number of card holders (anonymous walk-ins come on top).
    pub customers: usize,
    /// Seed of the ChaCha8 generator; same seed, same bytes.
    pub seed: u64,
    /// Last day of the export ("today" for the analysis); nothing is dated later.
    pub as_of: NaiveDate,
    /// Length of the history: lines run from `as_of - months` to `as_of` inclusive.
    pub months: u32,
}

impl Default for SampleConfig {
    /// 300 customers over 24 months ending 2026-10-31: big enough that every
    /// behaviour appears several times, small enough for debug-build tests.
    fn default() -> Self {
        SampleConfig {
            customers: 300,
            seed: 42,
            as_of: NaiveDate::from_ymd_opt(2026, 10, 31).expect("2026-10-31 is a valid date"),
            months: 24,
        }
    }
}

/// The behaviour planted in one customer's purchase history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Behaviour {
    /// Steady Poisson-like visits over the whole history.
    Loyal,
    /// Rare but regular visits (gamma gaps of 30–75 days).
    Infrequent,
    /// First visit 20–100 days before `as_of`, visiting ever since.
    New,
    /// Visits only during a 3–5 month season each year, every year.
    Seasonal,
    /// Visit rate falls to 25–50 % of its former level from the change date.
    PartialDefection,
    /// Same visit rate, but spend per visit falls to 30–55 % from the change date.
    SpendDrop,
    /// Same visits, but a habit category is never bought again from the change date.
    CategoryStop,
    /// Regular customer whose last visit was 2–5 months before `as_of`.
    StoppedRecently,
    /// Regular customer whose last visit was 9–18 months before `as_of`.
    GoneLongAgo,
}

impl Behaviour {
    /// Every behaviour, in the order used by [`summary_counts`] and the mixture.
    pub const ALL: [Behaviour; 9] = [
        Behaviour::Loyal,
        Behaviour::Infrequent,
        Behaviour::New,
        Behaviour::Seasonal,
        Behaviour::PartialDefection,
        Behaviour::SpendDrop,
        Behaviour::CategoryStop,
        Behaviour::StoppedRecently,
        Behaviour::GoneLongAgo,
    ];

    /// Stable snake_case name, as written to the truth file.
    pub fn name(self) -> &'static str {
        match self {
            Behaviour::Loyal => "loyal",
            Behaviour::Infrequent => "infrequent",
            Behaviour::New => "new",
            Behaviour::Seasonal => "seasonal",
            Behaviour::PartialDefection => "partial_defection",
            Behaviour::SpendDrop => "spend_drop",
            Behaviour::CategoryStop => "category_stop",
            Behaviour::StoppedRecently => "stopped_recently",
            Behaviour::GoneLongAgo => "gone_long_ago",
        }
    }

    /// Inverse of [`Behaviour::name`], so a truth file can be read back.
    pub fn from_name(name: &str) -> Option<Behaviour> {
        Behaviour::ALL.into_iter().find(|b| b.name() == name)
    }

    /// The status a good detector should report at `as_of`:
    /// `"active"`, `"at_risk"` or `"defected"`.
    pub fn expected_status(self) -> &'static str {
        match self {
            Behaviour::Loyal | Behaviour::Infrequent | Behaviour::New | Behaviour::Seasonal => {
                "active"
            }
            Behaviour::SpendDrop | Behaviour::CategoryStop => "at_risk",
            Behaviour::PartialDefection | Behaviour::StoppedRecently | Behaviour::GoneLongAgo => {
                "defected"
            }
        }
    }
}

/// One line (item) of a till export.
#[derive(Clone, Debug, PartialEq)]
pub struct PurchaseLine {
    /// Card number such as `C000123`; empty for anonymous (card-less) purchases.
    pub customer_id: String,
    pub date: NaiveDate,
    /// Rounded to cents; negative for refunds.
    pub amount: f64,
    pub store: String,
    pub employee: String,
    pub category: String,
}

/// The planted answer for one customer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Truth {
    pub customer_id: String,
    pub behaviour: Behaviour,
    /// When the planted change began: the first day of the lower rate, lower
    /// spend or missing category, or the day after the last visit for the
    /// stopped behaviours. `None` for the active behaviours.
    pub change_date: Option<NaiveDate>,
}

/// Generated purchase lines plus the truth per customer (in customer-id order).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sample {
    pub lines: Vec<PurchaseLine>,
    pub truth: Vec<Truth>,
}

#[cfg(test)]
pub(crate) mod test_support {
    use std::collections::HashMap;
    use std::sync::OnceLock;

    use chrono::{Months, NaiveDate};

    use super::*;

    /// The default sample, generated once for all tests.
    pub(crate) fn default_sample() -> &'static Sample {
        static SAMPLE: OnceLock<Sample> = OnceLock::new();
        SAMPLE.get_or_init(|| generate(&SampleConfig::default()))
    }

    pub(crate) fn standard_bytes(sample: &Sample) -> Vec<u8> {
        let mut out = Vec::new();
        write_purchases(&sample.lines, &mut out).expect("writing to a Vec succeeds");
        out
    }

    pub(crate) fn small(seed: u64) -> SampleConfig {
        SampleConfig {
            customers: 30,
            seed,
            ..SampleConfig::default()
        }
    }

    pub(crate) fn history_start(cfg: &SampleConfig) -> NaiveDate {
        cfg.as_of
            .checked_sub_months(Months::new(cfg.months))
            .unwrap()
    }

    pub(crate) fn truth_by_id(sample: &Sample) -> HashMap<&str, &Truth> {
        sample
            .truth
            .iter()
            .map(|t| (t.customer_id.as_str(), t))
            .collect()
    }

    /// 64-bit FNV-1a: a hash that, unlike `DefaultHasher`, is fixed forever.
    pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
        bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
        })
    }
}
