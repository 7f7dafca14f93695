//! Discounting and the expected value of a customer over a horizon.

use serde::{Deserialize, Serialize};

use super::{BgNbd, ClvError, GammaGamma, Rfm};

/// Horizon and discounting of a CLV calculation.
///
/// Convention: the horizon `(0, horizon]` after the end of calibration is cut into steps of
/// `step` periods (the last one may be shorter). The transactions expected in step
/// `(t_{k−1}, t_k]` are discounted as if they all happened at its end `t_k`, by the factor
/// `(1 + annual_rate)^{−t_k / periods_per_year}` — annual compounding at the effective annual
/// rate `annual_rate`, applied at fractional years. With weekly periods, `step = 1.0`,
/// `periods_per_year = 52.0` (or `365.25 / 7`); with daily periods, `step = 7.0`,
/// `periods_per_year = 365.25` for weekly steps.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Discounting {
    /// Length of the horizon, in periods (>= 0).
    pub horizon: f64,
    /// Step length, in periods (> 0); at most 1,000,000 steps.
    pub step: f64,
    /// Effective annual discount rate (> −1), e.g. `0.10` for 10 %.
    pub annual_rate: f64,
    /// How many periods make a year (> 0), e.g. `52.0` for weeks.
    pub periods_per_year: f64,
}

impl Discounting {
    pub(crate) fn steps(&self) -> Result<usize, ClvError> {
        let ok = self.horizon.is_finite()
            && self.horizon >= 0.0
            && self.step.is_finite()
            && self.step > 0.0
            && self.annual_rate.is_finite()
            && self.annual_rate > -1.0
            && self.periods_per_year.is_finite()
            && self.periods_per_year > 0.0;
        if !ok {
            return Err(ClvError::InvalidArgument(format!(
                "invalid discounting {self:?}: need horizon >= 0, step > 0, \
                 annual_rate > -1, periods_per_year > 0"
            )));
        }
        let n = (self.horizon / self.step - 1e-9).ceil().max(0.0);
        if n > 1e6 {
            return Err(ClvError::InvalidArgument(format!(
                "{n} discounting steps: use a longer step"
            )));
        }
        Ok(n as usize)
    }

    pub(crate) fn factor(&self, t: f64) -> f64 {
        (-(t / self.periods_per_year) * self.annual_rate.ln_1p()).exp()
    }

    /// `Σ_k [E(t_k) − E(t_{k−1})] · factor(t_k)` with `t_k = min(k · step, horizon)`, for a
    /// cumulative expectation `E` with `E(0) = 0`: the discounted expected count.
    pub(crate) fn discount(
        &self,
        mut cumulative: impl FnMut(f64) -> Result<f64, ClvError>,
    ) -> Result<f64, ClvError> {
        let steps = self.steps()?;
        let mut prev = 0.0;
        let mut total = 0.0;
        for k in 1..=steps {
            let tk = (k as f64 * self.step).min(self.horizon);
            let e = cumulative(tk)?;
            total += (e - prev) * self.factor(tk);
            prev = e;
        }
        Ok(total)
    }
}

/// Expected discounted value of customer `c` over the horizon:
/// `discounted transactions × expected spend per transaction × margin`, i.e.
/// [`BgNbd::discounted_expected_transactions`] × [`GammaGamma::conditional_expected_spend`]
/// (with the customer's `x` and mean repeat spend `mean_spend`; ignored when `x = 0`) ×
/// `margin`. This assumes, as FHL05c do, that spend is independent of the transaction process.
pub fn expected_value(
    transactions: &BgNbd,
    spend: &GammaGamma,
    c: &Rfm,
    mean_spend: f64,
    d: &Discounting,
    margin: f64,
) -> Result<f64, ClvError> {
    if !margin.is_finite() {
        return Err(ClvError::InvalidArgument(format!(
            "margin = {margin} must be finite"
        )));
    }
    let n = transactions.discounted_expected_transactions(c, d)?;
    let m = spend.conditional_expected_spend(c.x, mean_spend)?;
    Ok(n * m * margin)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::btyd::testkit::PUBLISHED;

    #[test]
    fn discounting_conventions() {
        let c = Rfm {
            x: 2.0,
            t_x: 30.43,
            t: 38.86,
        };
        let undiscounted = Discounting {
            horizon: 39.0,
            step: 1.0,
            annual_rate: 0.0,
            periods_per_year: 52.0,
        };
        let n0 = PUBLISHED
            .discounted_expected_transactions(&c, &undiscounted)
            .unwrap();
        let e = PUBLISHED
            .conditional_expected_transactions(&c, 39.0)
            .unwrap();
        assert!((n0 - e).abs() < 1e-12, "telescoping sum {n0} vs {e}");
        let d = Discounting {
            annual_rate: 0.1,
            ..undiscounted
        };
        let n = PUBLISHED.discounted_expected_transactions(&c, &d).unwrap();
        assert!(n < n0 && n > n0 * 1.1_f64.powf(-39.0 / 52.0));
        // A single step discounts everything at the horizon.
        let one = Discounting { step: 39.0, ..d };
        let n1 = PUBLISHED
            .discounted_expected_transactions(&c, &one)
            .unwrap();
        assert!((n1 - e * 1.1_f64.powf(-0.75)).abs() < 1e-12);
        // Partial last step: horizon 2.5 with step 1 has steps ending at 1, 2, 2.5.
        let partial = Discounting {
            horizon: 2.5,
            ..undiscounted
        };
        let np = PUBLISHED
            .discounted_expected_transactions(&c, &partial)
            .unwrap();
        let e25 = PUBLISHED
            .conditional_expected_transactions(&c, 2.5)
            .unwrap();
        assert!((np - e25).abs() < 1e-12);
        let gg = GammaGamma::new(6.25, 3.74, 15.44).unwrap();
        let v = expected_value(&PUBLISHED, &gg, &c, 40.0, &d, 0.3).unwrap();
        let spend = gg.conditional_expected_spend(2.0, 40.0).unwrap();
        assert!((v - n * spend * 0.3).abs() < 1e-9);
        assert!(
            PUBLISHED
                .discounted_expected_transactions(&c, &Discounting { step: 0.0, ..d })
                .is_err()
        );
        assert!(
            PUBLISHED
                .discounted_expected_transactions(
                    &c,
                    &Discounting {
                        annual_rate: -1.0,
                        ..d
                    }
                )
                .is_err()
        );
    }

    #[test]
    fn a_spend_model_without_finite_mean_is_an_error() {
        let g = GammaGamma::new(2.0, 0.8, 10.0).unwrap();
        let c = Rfm {
            x: 1.0,
            t_x: 1.0,
            t: 2.0,
        };
        let d = Discounting {
            horizon: 10.0,
            step: 1.0,
            annual_rate: 0.1,
            periods_per_year: 52.0,
        };
        assert!(expected_value(&PUBLISHED, &g, &c, 10.0, &d, 0.2).is_err());
        // Identical spends: not identifiable, but no panic and no NaN.
    }
}
