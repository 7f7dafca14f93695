//! The statistical tests the rules use, on top of statrs' distributions.

use statrs::distribution::{Binomial, ContinuousCDF, Discrete, DiscreteCDF, Gamma, StudentsT};

/// Days in an average month (365.25 / 12): rates "per month" use this, never 30 days.
pub const DAYS_PER_MONTH: f64 = 365.25 / 12.0;

/// One-sided exact test that a Poisson rate fell: the conditional binomial test of two
/// Poisson rates (Przyborowski & Wilenski 1940). Given `recent` events in `recent_days`
/// and `base` events in `base_days`, and equal rates, `recent` is
/// Binomial(recent + base, recent_days / (recent_days + base_days)); the p-value is the
/// mid-p value P(X < recent) + P(X = recent) / 2 (Lancaster 1961), which keeps the exact
/// test's size without its over-conservatism at small counts. It accounts for the
/// uncertainty of both counts, so a customer with few visits needs a larger fall.
pub fn rate_fall_p(recent: u64, recent_days: f64, base: u64, base_days: f64) -> f64 {
    let n = recent + base;
    if n == 0 || recent_days <= 0.0 || base_days <= 0.0 {
        return 1.0;
    }
    let p0 = recent_days / (recent_days + base_days);
    match Binomial::new(p0, n) {
        Ok(b) => b.cdf(recent) - 0.5 * b.pmf(recent),
        Err(_) => 1.0,
    }
}

/// One-sided Welch t-test that the mean of `recent` is below the mean of `base`.
pub fn mean_fall_p(recent: &[f64], base: &[f64]) -> f64 {
    let (n1, n2) = (recent.len() as f64, base.len() as f64);
    if n1 < 2.0 || n2 < 2.0 {
        return 1.0;
    }
    let (m1, v1) = mean_var(recent);
    let (m2, v2) = mean_var(base);
    let se2 = v1 / n1 + v2 / n2;
    if se2 <= 0.0 {
        return if m1 < m2 { 0.0 } else { 1.0 };
    }
    let t = (m1 - m2) / se2.sqrt();
    // Welch–Satterthwaite degrees of freedom.
    let df = se2 * se2 / ((v1 / n1).powi(2) / (n1 - 1.0) + (v2 / n2).powi(2) / (n2 - 1.0));
    match StudentsT::new(0.0, 1.0, df.max(1.0)) {
        Ok(dist) => dist.cdf(t),
        Err(_) => 1.0,
    }
}

/// Sample mean and (n-1) variance.
pub fn mean_var(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    if xs.is_empty() {
        return (0.0, 0.0);
    }
    let mean = xs.iter().sum::<f64>() / n;
    if xs.len() < 2 {
        return (mean, 0.0);
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var)
}

/// P(G >= x) for a gamma-distributed gap with the given mean and shape.
pub fn gamma_survival(x: f64, mean: f64, shape: f64) -> f64 {
    if mean <= 0.0 || shape <= 0.0 {
        return 1.0;
    }
    match Gamma::new(shape, shape / mean) {
        Ok(g) => g.sf(x),
        Err(_) => 1.0,
    }
}

/// Median of a non-empty slice (sorted copy).
pub fn median(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return 0.0;
    }
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

/// Wilson score interval for a proportion `k / n` at the normal quantile `z`.
pub fn wilson(k: u64, n: u64, z: f64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let (k, n) = (k as f64, n as f64);
    let p = k / n;
    let denom = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denom;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_fall_is_significant_only_with_enough_visits() {
        // 4 visits/month for a year, then 1/month for 3 months: a real fall.
        assert!(rate_fall_p(3, 90.0, 48, 365.0) < 0.01);
        // 1 visit in 3 months against 4 in a year: chance.
        assert!(rate_fall_p(1, 90.0, 4, 365.0) > 0.2);
        // Same rate: no evidence.
        assert!(rate_fall_p(12, 90.0, 48, 365.0) > 0.4);
        assert_eq!(rate_fall_p(0, 90.0, 0, 365.0), 1.0);
        // mid-p: P(X < 1) + P(X = 1) / 2 for Binomial(2, 0.5) = 0.25 + 0.25
        assert!((rate_fall_p(1, 10.0, 1, 10.0) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn welch_detects_a_lower_mean() {
        let base = [40.0, 44.0, 38.0, 41.0, 39.0, 45.0, 42.0];
        let recent = [20.0, 18.0, 22.0, 21.0];
        assert!(mean_fall_p(&recent, &base) < 0.001);
        assert!(mean_fall_p(&base, &recent) > 0.99);
        assert_eq!(mean_fall_p(&[1.0], &base), 1.0);
    }

    #[test]
    fn gamma_survival_matches_the_exponential() {
        // shape 1 is the exponential: P(G >= 2 * mean) = e^-2
        let p = gamma_survival(20.0, 10.0, 1.0);
        assert!((p - (-2.0f64).exp()).abs() < 1e-9);
        // a regular customer (shape 10) is very unlikely to be 3x late
        assert!(gamma_survival(30.0, 10.0, 10.0) < 1e-4);
    }

    #[test]
    fn wilson_interval() {
        let (lo, hi) = wilson(10, 100, 1.96);
        assert!(
            (lo - 0.0552).abs() < 1e-3 && (hi - 0.1744).abs() < 1e-3,
            "{lo} {hi}"
        );
        assert_eq!(wilson(0, 0, 1.96), (0.0, 1.0));
    }
}
