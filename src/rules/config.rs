//! The defection rules' settings: shipped defaults, overridable from a TOML file.
//! `churn rules` prints the effective settings, so `churn rules > churn.toml` starts a
//! custom file.

use serde::{Deserialize, Serialize};

use super::Status;

/// How much history a customer needs and which windows the rules compare.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HistoryConfig {
    /// Customers whose first visit is less than this many days before the as-of date
    /// are new: active, with too little history to judge.
    pub new_days: u32,
    /// Fewer visits than this: too few to know the customer's own rhythm.
    pub min_visits: u32,
    /// The recent window (days up to the as-of date) of the spend rule and of the
    /// recent figures in the output.
    pub recent_days: u32,
    /// The baseline: this many days before a recent window.
    pub baseline_days: u32,
}

impl Default for HistoryConfig {
    fn default() -> Self {
        HistoryConfig {
            new_days: 120,
            min_visits: 4,
            recent_days: 90,
            baseline_days: 730,
        }
    }
}

/// Rule 1: the visit rate fell to `max_ratio` of the customer's baseline or less.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateFallConfig {
    pub enabled: bool,
    pub status: Status,
    /// Recent rate / baseline rate at or below this fires the rule.
    pub max_ratio: f64,
    /// Significance of the fall (one-sided conditional binomial test, mid-p), shared by
    /// all windows tried.
    pub alpha: f64,
    /// Recent windows tried, in days up to the as-of date.
    pub windows: Vec<u32>,
}

/// Rule 2: silent for far longer than the customer's own rhythm makes plausible.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GoneConfig {
    pub enabled: bool,
    pub status: Status,
    /// Fires when a gap at least this long has a probability below `alpha` under the
    /// gamma distribution fitted to the customer's own gaps between visits.
    pub alpha: f64,
    /// Never gone before this many silent days.
    pub min_silence_days: u32,
    /// Customers with fewer than `history.min_visits` visits (no rhythm to judge) are
    /// gone after this many silent days.
    pub sparse_silence_days: u32,
    /// Not gone when they were away in the same months last year too, and came back.
    pub seasonal: bool,
}

impl Default for GoneConfig {
    fn default() -> Self {
        GoneConfig {
            enabled: true,
            status: Status::Defected,
            alpha: 0.001,
            min_silence_days: 30,
            sparse_silence_days: 365,
            seasonal: true,
        }
    }
}

/// Rule 3: spend per visit fell well below the customer's baseline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SpendDropConfig {
    pub enabled: bool,
    pub status: Status,
    /// Recent spend per visit / baseline spend per visit at or below this fires.
    pub max_ratio: f64,
    /// Significance (one-sided Welch t-test on the log of spend per visit).
    pub alpha: f64,
    /// Visits needed in the recent window.
    pub min_recent_visits: u32,
}

impl Default for SpendDropConfig {
    fn default() -> Self {
        SpendDropConfig {
            enabled: true,
            status: Status::AtRisk,
            max_ratio: 0.7,
            alpha: 0.01,
            min_recent_visits: 3,
        }
    }
}

/// Rule 4: stopped buying a category they bought on most baseline visits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CategoryStopConfig {
    pub enabled: bool,
    pub status: Status,
    /// The category was bought on at least this share of baseline visits.
    pub min_share: f64,
    /// Baseline visits needed.
    pub min_baseline_visits: u32,
    /// Days since the category was last bought.
    pub min_days: u32,
    /// Fires when not buying it on that many visits in a row has a probability below
    /// alpha, given their baseline share (Bonferroni over their categories).
    pub alpha: f64,
}

impl Default for CategoryStopConfig {
    fn default() -> Self {
        CategoryStopConfig {
            enabled: true,
            status: Status::AtRisk,
            min_share: 0.6,
            min_baseline_visits: 6,
            min_days: 30,
            alpha: 0.001,
        }
    }
}

/// The rules, in the order they are reported (`[rules.*]` tables of the config file).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Rules {
    pub gone: GoneConfig,
    pub partial_defection: RateFallConfig,
    pub category_stop: CategoryStopConfig,
    pub spend_drop: SpendDropConfig,
    pub slowing: RateFallConfig,
}

/// Everything that decides a customer's status: `[history]` and `[rules.*]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RuleConfig {
    pub history: HistoryConfig,
    pub rules: Rules,
}

const WINDOWS: [u32; 5] = [60, 90, 120, 180, 270];

impl Default for Rules {
    fn default() -> Self {
        Rules {
            gone: GoneConfig::default(),
            partial_defection: RateFallConfig {
                enabled: true,
                status: Status::Defected,
                max_ratio: 0.5,
                alpha: 0.05,
                windows: WINDOWS.to_vec(),
            },
            category_stop: CategoryStopConfig::default(),
            spend_drop: SpendDropConfig::default(),
            slowing: RateFallConfig {
                enabled: true,
                status: Status::AtRisk,
                max_ratio: 0.75,
                alpha: 0.01,
                windows: WINDOWS.to_vec(),
            },
        }
    }
}

impl Default for RateFallConfig {
    fn default() -> Self {
        Rules::default().partial_defection
    }
}

impl RuleConfig {
    /// Checks values a TOML file could get wrong, naming the key.
    pub fn validate(&self) -> Result<(), String> {
        let r = &self.rules;
        let ratio = |key: &str, v: f64| {
            if v > 0.0 && v <= 1.0 {
                Ok(())
            } else {
                Err(format!(
                    "rules.{key} must be above 0 and at most 1, got {v}"
                ))
            }
        };
        let alpha = |key: &str, v: f64| {
            if v > 0.0 && v < 1.0 {
                Ok(())
            } else {
                Err(format!("rules.{key} must be between 0 and 1, got {v}"))
            }
        };
        ratio("partial_defection.max_ratio", r.partial_defection.max_ratio)?;
        ratio("slowing.max_ratio", r.slowing.max_ratio)?;
        ratio("spend_drop.max_ratio", r.spend_drop.max_ratio)?;
        ratio("category_stop.min_share", r.category_stop.min_share)?;
        alpha("partial_defection.alpha", r.partial_defection.alpha)?;
        alpha("slowing.alpha", r.slowing.alpha)?;
        alpha("spend_drop.alpha", r.spend_drop.alpha)?;
        alpha("category_stop.alpha", r.category_stop.alpha)?;
        alpha("gone.alpha", r.gone.alpha)?;
        for (key, windows) in [
            ("partial_defection.windows", &r.partial_defection.windows),
            ("slowing.windows", &r.slowing.windows),
        ] {
            if windows.is_empty() || windows.contains(&0) {
                return Err(format!(
                    "rules.{key} must list window lengths in days, e.g. [60, 90, 180]"
                ));
            }
        }
        if self.history.recent_days == 0 || self.history.baseline_days == 0 {
            return Err("rules.history.recent_days and baseline_days must be at least 1".into());
        }
        Ok(())
    }
}
