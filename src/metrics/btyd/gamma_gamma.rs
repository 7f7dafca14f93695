//! Gamma-Gamma spend model (FHL05c; Colombo & Jiang 1999; Fader & Hardie 2013): each
//! transaction's value is `Gamma(p, ν)`, with `ν ~ Gamma(q, v)` across customers.

use serde::{Deserialize, Serialize};
use statrs::function::gamma::{digamma, ln_gamma};

use super::optimize::{LogModel, mean_in_logs, optimise};
use super::{ClvError, Fit, FitOptions, check_param, index_of, sorted_unique};

/// Gamma-Gamma spend parameters (FHL05c; Colombo & Jiang 1999): each transaction's value is
/// `Gamma(shape p, rate ν)`, and `ν ~ Gamma(shape q, rate v)` across customers (`v` is the
/// papers' `γ`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GammaGamma {
    /// Shape of the per-transaction spend distribution.
    pub p: f64,
    /// Shape of the heterogeneity distribution of `ν`; the mean spend is finite only if `q > 1`.
    pub q: f64,
    /// Rate of the heterogeneity distribution of `ν` (`γ` in the papers), in money units.
    pub v: f64,
}

/// One customer's input to the Gamma-Gamma model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Spend {
    /// Number of transactions the mean is taken over (`x > 0`: repeat transactions).
    pub x: f64,
    /// Mean value of those transactions (`m_x`, must be > 0 for fitting).
    pub mean: f64,
}

impl GammaGamma {
    /// Builds validated parameters (all finite and > 0; `q > 1` is only needed for means).
    pub fn new(p: f64, q: f64, v: f64) -> Result<Self, ClvError> {
        let m = Self { p, q, v };
        m.validate()?;
        Ok(m)
    }

    /// Checks that all parameters are finite and > 0.
    pub fn validate(&self) -> Result<(), ClvError> {
        check_param("p", self.p)?;
        check_param("q", self.q)?;
        check_param("v", self.v)
    }

    /// Log-likelihood of the customers' mean spends (FHL05c spend sub-model; Fader & Hardie
    /// 2013): the density of the mean `m_x` of `x` transactions,
    /// `f(m_x | p, q, v; x) = Γ(px+q) / (Γ(px) Γ(q)) · v^q m_x^{px−1} x^{px} / (v + x m_x)^{px+q}`.
    pub fn log_likelihood(&self, spend: &[Spend]) -> Result<f64, ClvError> {
        self.validate()?;
        if spend.is_empty() {
            return Err(ClvError::EmptyInput);
        }
        let data = GgData::new(spend, 1.0)?;
        let (ll, _) = data.eval([self.p, self.q, self.v], false);
        if ll.is_finite() {
            Ok(ll)
        } else {
            Err(ClvError::InvalidArgument(
                "log-likelihood is not finite at these parameters".into(),
            ))
        }
    }

    /// Population mean spend per transaction, `E[M] = p v / (q − 1)` (the `x = 0` case of
    /// [`GammaGamma::conditional_expected_spend`]). Errors with [`ClvError::NoFiniteMean`] if
    /// `q ≤ 1`.
    pub fn expected_spend(&self) -> Result<f64, ClvError> {
        self.conditional_expected_spend(0.0, 0.0)
    }

    /// Expected spend per transaction of a customer whose `x` transactions averaged `mean`
    /// (FHL05c; Fader & Hardie 2013):
    /// `E[M | p, q, v, m_x, x] = p (v + x m_x) / (p x + q − 1)`, a weighted average of the
    /// population mean `p v / (q − 1)` and the observed mean. `x = 0` gives the population mean
    /// (`mean` is then ignored). Errors with [`ClvError::NoFiniteMean`] if `q ≤ 1`.
    pub fn conditional_expected_spend(&self, x: f64, mean: f64) -> Result<f64, ClvError> {
        self.validate()?;
        if self.q <= 1.0 {
            return Err(ClvError::NoFiniteMean { q: self.q });
        }
        if !(x.is_finite() && x >= 0.0) {
            return Err(ClvError::InvalidArgument(format!(
                "x = {x} must be finite and >= 0"
            )));
        }
        if x > 0.0 && !(mean.is_finite() && mean >= 0.0) {
            return Err(ClvError::InvalidArgument(format!(
                "mean spend = {mean} must be finite and >= 0"
            )));
        }
        let xm = if x > 0.0 { x * mean } else { 0.0 };
        let value = self.p * (self.v + xm) / (self.p * x + self.q - 1.0);
        if value.is_finite() {
            Ok(value)
        } else {
            Err(ClvError::InvalidArgument("expected spend overflows".into()))
        }
    }
}

/// Deduplicated Gamma-Gamma rows grouped by `x`.
struct GgData {
    /// Distinct `(x, ln x)`.
    xs: Vec<(f64, f64)>,
    /// `(x index, m, ln m, weight)`.
    rows: Vec<(u32, f64, f64, f64)>,
    total_w: f64,
}

impl GgData {
    fn new(spend: &[Spend], scale: f64) -> Result<Self, ClvError> {
        if spend.len() > u32::MAX as usize {
            return Err(ClvError::InvalidArgument("too many customers".into()));
        }
        for (index, s) in spend.iter().enumerate() {
            if !(s.x.is_finite() && s.x > 0.0) {
                return Err(ClvError::InvalidInput {
                    index,
                    reason: format!("x = {} must be > 0 (fit on repeat customers only)", s.x),
                });
            }
            if !(s.mean.is_finite() && s.mean > 0.0) {
                return Err(ClvError::InvalidInput {
                    index,
                    reason: format!("mean spend = {} must be finite and > 0", s.mean),
                });
            }
        }
        let xs = sorted_unique(spend.iter().map(|s| s.x).collect());
        let mut keys: Vec<(u32, f64)> = spend
            .iter()
            .map(|s| (index_of(&xs, s.x), s.mean / scale))
            .collect();
        keys.sort_by(|l, r| l.0.cmp(&r.0).then(l.1.total_cmp(&r.1)));
        let mut rows: Vec<(u32, f64, f64, f64)> = Vec::new();
        for (xi, m) in keys {
            match rows.last_mut() {
                Some(last) if last.0 == xi && last.1 == m => last.3 += 1.0,
                _ => rows.push((xi, m, m.ln(), 1.0)),
            }
        }
        Ok(Self {
            xs: xs.iter().map(|&x| (x, x.ln())).collect(),
            rows,
            total_w: spend.len() as f64,
        })
    }

    /// Log-likelihood and gradient with respect to `(p, q, v)`.
    fn eval(&self, p: [f64; 3], want_grad: bool) -> (f64, [f64; 3]) {
        let [pp, q, v] = p;
        let ln_v = v.ln();
        let lg_q = ln_gamma(q);
        let dg_q = if want_grad { digamma(q) } else { 0.0 };
        // Per x: lnΓ(px+q) − lnΓ(px) and the digammas.
        let per_x: Vec<(f64, f64, f64)> = self
            .xs
            .iter()
            .map(|&(x, _)| {
                let px = pp * x;
                let lg = ln_gamma(px + q) - ln_gamma(px);
                if want_grad {
                    (lg, digamma(px + q), digamma(px))
                } else {
                    (lg, 0.0, 0.0)
                }
            })
            .collect();
        let mut ll = 0.0;
        let mut g = [0.0; 3];
        for &(xi, m, ln_m, w) in &self.rows {
            let (x, ln_x) = self.xs[xi as usize];
            let (lg, dg_pxq, dg_px) = per_x[xi as usize];
            let px = pp * x;
            let vxm = v + x * m;
            let ln_vxm = vxm.ln();
            ll += w * (lg - lg_q + q * ln_v + (px - 1.0) * ln_m + px * ln_x - (px + q) * ln_vxm);
            if want_grad {
                g[0] += w * x * (dg_pxq - dg_px + ln_m + ln_x - ln_vxm);
                g[1] += w * (dg_pxq - dg_q + ln_v - ln_vxm);
                g[2] += w * (q / v - (px + q) / vxm);
            }
        }
        (ll, g)
    }
}

impl LogModel for GgData {
    fn mean_ll(&self, log_theta: &[f64]) -> Option<(f64, Vec<f64>)> {
        mean_in_logs(log_theta, self.total_w, |p| self.eval(p, true))
    }
}

/// Fits the Gamma-Gamma spend model with default [`FitOptions`].
pub fn fit_gamma_gamma(spend: &[Spend]) -> Result<Fit<GammaGamma>, ClvError> {
    fit_gamma_gamma_with(spend, &FitOptions::default())
}

/// Fits the Gamma-Gamma spend model by maximum likelihood on customers with `x > 0` and a
/// positive mean spend per transaction `m_x` (FHL05c use the mean of the *repeat*
/// transactions). Same optimiser as [`fit_bgnbd_with`]; spend is divided internally by its
/// mean. A fitted `q ≤ 1` is returned as is (it is the MLE), but
/// [`GammaGamma::conditional_expected_spend`] then reports [`ClvError::NoFiniteMean`].
pub fn fit_gamma_gamma_with(
    spend: &[Spend],
    opts: &FitOptions,
) -> Result<Fit<GammaGamma>, ClvError> {
    if spend.is_empty() {
        return Err(ClvError::EmptyInput);
    }
    let mean = spend.iter().map(|s| s.mean).sum::<f64>() / spend.len() as f64;
    let scale = if mean.is_finite() && mean > 0.0 {
        mean
    } else {
        1.0
    };
    let data = GgData::new(spend, scale)?;
    // Starts with population mean p v / (q − 1) = 1 (the scaled mean spend).
    let starts: Vec<Vec<f64>> = [
        [1.0_f64, 2.0, 1.0],
        [5.0, 4.0, 0.6],
        [0.5, 1.5, 0.5],
        [20.0, 10.0, 0.45],
        [2.0, 20.0, 9.5],
    ]
    .iter()
    .map(|s| s.iter().map(|v| v.ln()).collect())
    .collect();
    let best = optimise(&data, &starts, opts)?;
    let lt = &best.log_theta;
    let params = GammaGamma {
        p: lt[0].exp(),
        q: lt[1].exp(),
        v: lt[2].exp() * scale,
    };
    params
        .validate()
        .map_err(|e| ClvError::FitFailed(e.to_string()))?;
    // Rescaling spend by `scale` changes each customer's density by 1/scale.
    let log_likelihood = best.mean_ll * data.total_w - data.total_w * scale.ln();
    Ok(best.into_fit(params, log_likelihood, ["p", "q", "v"]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::btyd::cdnow::cdnow;
    use crate::metrics::btyd::testkit::{assert_gradient, close};

    #[test]
    fn analytic_gradients_match_finite_differences() {
        let spend = cdnow_spend();
        let gg = GgData::new(&spend, 30.0).unwrap();
        let lt = [4.0_f64.ln(), 3.0_f64.ln(), 0.5_f64.ln()];
        assert_gradient(&gg, &lt);
    }

    fn cdnow_spend() -> Vec<Spend> {
        cdnow()
            .iter()
            .filter_map(|c| {
                c.mean_repeat_spend
                    .filter(|m| *m > 0.0)
                    .map(|mean| Spend { x: c.rfm.x, mean })
            })
            .collect()
    }

    #[test]
    fn cdnow_gamma_gamma_close_to_published() {
        let spend = cdnow_spend();
        let fit = fit_gamma_gamma(&spend).unwrap();
        assert!(fit.converged, "{fit:?}");
        let g = fit.params;
        println!(
            "CDNOW Gamma-Gamma on {} customers: {g:?} LL {:.3}, {} iters, {} starts, |g| {:.1e}",
            spend.len(),
            fit.log_likelihood,
            fit.iterations,
            fit.starts,
            fit.gradient_norm
        );
        close(g.p, 6.25, 0.05);
        close(g.q, 3.74, 0.05);
        close(g.v, 15.44, 0.05);
        let published = GammaGamma::new(6.25, 3.74, 15.44).unwrap();
        assert!(fit.log_likelihood >= published.log_likelihood(&spend).unwrap());
        // Shrinkage: between the population mean and the observed mean.
        let pop = g.expected_spend().unwrap();
        let e = g.conditional_expected_spend(3.0, 80.0).unwrap();
        assert!(e > pop && e < 80.0);
    }

    #[test]
    fn invalid_inputs_are_errors() {
        assert!(fit_gamma_gamma(&[Spend { x: 0.0, mean: 1.0 }]).is_err());
        assert!(fit_gamma_gamma(&[Spend { x: 1.0, mean: 0.0 }]).is_err());
        let gg = GammaGamma::new(6.25, 3.74, 15.44).unwrap();
        assert!(
            gg.conditional_expected_spend(1e6, 35.0)
                .unwrap()
                .is_finite()
        );
    }

    #[test]
    fn gamma_gamma_without_finite_mean_is_an_error() {
        let g = GammaGamma::new(2.0, 0.8, 10.0).unwrap();
        assert_eq!(
            g.conditional_expected_spend(2.0, 30.0),
            Err(ClvError::NoFiniteMean { q: 0.8 })
        );
        assert!(g.expected_spend().is_err());
        let g1 = GammaGamma { q: 1.0, ..g };
        assert!(g1.conditional_expected_spend(0.0, 0.0).is_err());
        let same = vec![Spend { x: 2.0, mean: 10.0 }; 50];
        if let Ok(f) = fit_gamma_gamma(&same) {
            assert!(
                f.params.validate().is_ok() && f.log_likelihood.is_finite(),
                "{f:?}"
            );
            assert!(!f.converged, "{f:?}");
        }
    }
}
