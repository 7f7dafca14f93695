//! BG/NBD (FHL05a): Poisson transactions at rate `λ ~ Gamma(r, α)` while alive; after each
//! repeat transaction the customer drops out with probability `p ~ Beta(a, b)`.

use serde::{Deserialize, Serialize};
use statrs::function::gamma::{digamma, ln_gamma};

use super::optimize::{LogModel, mean_in_logs, optimise};
use super::special::{inv_one_plus_exp, pochhammer_series};
use super::{
    ClvError, Discounting, Fit, FitOptions, Rfm, check_param, check_rfm, horizon_arg, index_of,
    rfm_arg, sorted_unique,
};

/// BG/NBD parameters: purchase rates `λ ~ Gamma(shape r, rate alpha)`, drop-out probabilities
/// `p ~ Beta(a, b)` (FHL05a, section 3).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BgNbd {
    /// Shape of the purchase-rate gamma distribution.
    pub r: f64,
    /// Rate (inverse scale) of the purchase-rate gamma distribution, in periods.
    pub alpha: f64,
    /// First shape of the drop-out beta distribution.
    pub a: f64,
    /// Second shape of the drop-out beta distribution.
    pub b: f64,
}

/// From this `a` on, expected transactions use the fixed-drop-out limit (relative
/// error O(1/a) ≤ 0.1%) instead of a series that would run until it overflows.
const LIMIT_A: f64 = 1e3;

impl BgNbd {
    /// Builds validated parameters (all finite and > 0).
    pub fn new(r: f64, alpha: f64, a: f64, b: f64) -> Result<Self, ClvError> {
        let m = Self { r, alpha, a, b };
        m.validate()?;
        Ok(m)
    }

    /// Checks that all parameters are finite and > 0.
    pub fn validate(&self) -> Result<(), ClvError> {
        check_param("r", self.r)?;
        check_param("alpha", self.alpha)?;
        check_param("a", self.a)?;
        check_param("b", self.b)
    }

    /// Log-likelihood `LL(r, α, a, b) = Σ_i ln L(r, α, a, b | x_i, t_xi, T_i)`
    /// (FHL05a eqs. 6–7), computed as in FHL05b:
    /// `ln L = A1 + A2 + ln(exp(A3) + δ(x>0) exp(A4))` with
    /// `A1 = lnΓ(r+x) − lnΓ(r) + r ln α`,
    /// `A2 = lnΓ(a+b) + lnΓ(b+x) − lnΓ(b) − lnΓ(a+b+x)`,
    /// `A3 = −(r+x) ln(α+T)`,
    /// `A4 = ln a − ln(b+x−1) − (r+x) ln(α+t_x)`.
    pub fn log_likelihood(&self, customers: &[Rfm]) -> Result<f64, ClvError> {
        self.validate()?;
        if customers.is_empty() {
            return Err(ClvError::EmptyInput);
        }
        let data = BgData::new(customers, 1.0)?;
        let (ll, _) = data.eval([self.r, self.alpha, self.a, self.b], false);
        if ll.is_finite() {
            Ok(ll)
        } else {
            Err(ClvError::InvalidArgument(
                "log-likelihood is not finite at these parameters".into(),
            ))
        }
    }

    /// Core of FHL05a eqs. (9)–(10) without the `P(alive)` denominator:
    /// `(a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^{r+x} 2F1(r+x, b+x; a+b+x−1; z)]`,
    /// `z = t/(α+T+t)`.
    ///
    /// Euler's transformation (A&S 15.3.3) turns the bracket into
    /// `1 − (1−z)^{a−1} 2F1(a+b−1−r, a−1; a+b+x−1; z)`, removing the factor `(1−z)^{r+x}`
    /// that under- and overflows for large `x`. Splitting off the first term of that series
    /// (`2F1 = 1 + (a−1) S`) gives, with `c = a+b+x−1`, `A' = a+b−1−r`, `L = ln(1−z)`,
    /// `c · [−expm1((a−1)L)/(a−1)] − (1−z)^{a−1} A' z U`, where
    /// `U = Σ_j (A'+1)_j (a)_j / ((c+1)_j (2)_j) z^j`: finite and accurate for every `a > 0`,
    /// including `a = 1` (limit `−L`), and for `c ≤ 0`.
    pub(crate) fn expected_core(&self, x: f64, big_t: f64, t: f64) -> Result<f64, ClvError> {
        if t == 0.0 {
            return Ok(0.0);
        }
        let Self { r, alpha, a, b } = *self;
        let base = alpha + big_t;
        let z = t / (base + t);
        let l = -(t / base).ln_1p(); // ln(1 − z)
        let eps = a - 1.0;
        let first = if eps == 0.0 {
            -l
        } else {
            -(eps * l).exp_m1() / eps
        };
        let c = a + b - 1.0 + x;
        let a_prime = a + b - 1.0 - r;
        // Far out at the no-drop-out boundary the limit below is accurate to O(1/a) and
        // the series would only run until it overflows: go straight to the limit.
        let series = if a >= LIMIT_A {
            Err(ClvError::InvalidArgument("large a: use the limit".into()))
        } else {
            pochhammer_series(a_prime + 1.0, a, c + 1.0, 2.0, z)
        };
        let u = match series {
            Ok(s) => s.sum,
            // The series overflows when a·z is large (its terms grow like (a z)^j / j!),
            // which happens near the "no drop-out" boundary of a fit (a, b → ∞ with
            // a/(a+b) fixed). There the expectation tends to that of a fixed drop-out
            // probability p = (a−1)/(a+b+x−1) per transaction,
            // [1 − (1 + p t/(α+T))^{−(r+x)}] / p ((r+x) t/(α+T) as p → 0), with a
            // relative error of O(1/c), and c ≥ a is large exactly when this happens.
            Err(_) if a > 1.0 => {
                let p = eps / c;
                let value = -(-(r + x) * (p * t / base).ln_1p()).exp_m1() / p;
                return if value.is_finite() {
                    Ok(value.max(0.0))
                } else {
                    Err(ClvError::InvalidArgument(format!(
                        "expected transactions not finite (x = {x}, T = {big_t}, t = {t})"
                    )))
                };
            }
            Err(e) => return Err(e),
        };
        let value = c * first - (eps * l).exp() * a_prime * z * u;
        if value.is_finite() {
            Ok(value.max(0.0))
        } else {
            Err(ClvError::InvalidArgument(format!(
                "expected transactions not finite (x = {x}, T = {big_t}, t = {t})"
            )))
        }
    }

    /// `ln[a/(b+x−1) · ((α+T)/(α+t_x))^{r+x}]`: log-odds of "dropped out" for `x > 0`.
    fn log_odds_dead(&self, c: &Rfm) -> f64 {
        self.a.ln() - (self.b + c.x - 1.0).ln()
            + (self.r + c.x) * ((c.t - c.t_x) / (self.alpha + c.t_x)).ln_1p()
    }

    /// Expected number of repeat transactions of a randomly chosen new customer in `(0, t]`
    /// (FHL05a eq. 9):
    /// `E[X(t)] = (a+b−1)/(a−1) · [1 − (α/(α+t))^r 2F1(r, b; a+b−1; t/(α+t))]`.
    /// Evaluated as in [`BgNbd::conditional_expected_transactions`] with `x = 0`, `T = 0`
    /// (valid for `a = 1` and `a + b ≤ 1` too).
    pub fn expected_transactions(&self, t: f64) -> Result<f64, ClvError> {
        self.validate()?;
        horizon_arg(t)?;
        self.expected_core(0.0, 0.0, t)
    }

    /// Expected number of transactions in `(T, T + t]` of a customer with history `c`
    /// (FHL05a eq. 10):
    /// `E[Y(t) | x, t_x, T] = (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^{r+x}
    /// 2F1(r+x, b+x; a+b+x−1; t/(α+T+t))] / (1 + δ(x>0) a/(b+x−1) ((α+T)/(α+t_x))^{r+x})`.
    pub fn conditional_expected_transactions(&self, c: &Rfm, t: f64) -> Result<f64, ClvError> {
        self.validate()?;
        rfm_arg(c)?;
        horizon_arg(t)?;
        let alive = self.p_alive_unchecked(c);
        Ok(self.expected_core(c.x, c.t, t)? * alive)
    }

    fn p_alive_unchecked(&self, c: &Rfm) -> f64 {
        if c.x > 0.0 {
            inv_one_plus_exp(self.log_odds_dead(c))
        } else {
            1.0
        }
    }

    /// Probability that a customer with history `c` is still active at `T` (FHL05b;
    /// Fader, Hardie & Lee, "Computing P(alive) Using the BG/NBD Model"):
    /// `P(alive) = 1 / (1 + δ(x>0) a/(b+x−1) ((α+T)/(α+t_x))^{r+x})`, computed in log space.
    pub fn p_alive(&self, c: &Rfm) -> Result<f64, ClvError> {
        self.validate()?;
        rfm_arg(c)?;
        Ok(self.p_alive_unchecked(c))
    }

    /// Discounted expected number of transactions of customer `c` over the horizon in `d`:
    /// `Σ_k [E[Y(t_k)] − E[Y(t_{k−1})]] · (1 + d.annual_rate)^{−t_k / d.periods_per_year}`
    /// with `t_k = min(k · step, horizon)` and `E[Y(·)]` from
    /// [`BgNbd::conditional_expected_transactions`]. See [`Discounting`] for the convention.
    pub fn discounted_expected_transactions(
        &self,
        c: &Rfm,
        d: &Discounting,
    ) -> Result<f64, ClvError> {
        self.validate()?;
        rfm_arg(c)?;
        let alive = self.p_alive_unchecked(c);
        d.discount(|tk| Ok(self.expected_core(c.x, c.t, tk)? * alive))
    }
}

/// Unique-value tables and deduplicated rows for the BG/NBD likelihood.
struct BgData {
    /// Distinct `x` values and their total weight.
    xs: Vec<(f64, f64)>,
    /// Distinct `T` values.
    ts: Vec<f64>,
    /// Distinct `t_x` values of customers with `x > 0`.
    txs: Vec<f64>,
    /// `(x index, T index, t_x index, weight)`.
    rows: Vec<(u32, u32, u32, f64)>,
    /// Total weight (number of customers).
    total_w: f64,
    /// `Σ x` over customers.
    total_x: f64,
}

impl BgData {
    /// Validates the customers and divides all times by `scale`.
    fn new(customers: &[Rfm], scale: f64) -> Result<Self, ClvError> {
        if customers.len() > u32::MAX as usize {
            return Err(ClvError::InvalidArgument("too many customers".into()));
        }
        for (index, c) in customers.iter().enumerate() {
            check_rfm(c).map_err(|reason| ClvError::InvalidInput { index, reason })?;
        }
        let xs = sorted_unique(customers.iter().map(|c| c.x).collect());
        let ts = sorted_unique(customers.iter().map(|c| c.t / scale).collect());
        let txs = sorted_unique(
            customers
                .iter()
                .filter(|c| c.x > 0.0)
                .map(|c| c.t_x / scale)
                .collect(),
        );
        let mut keys: Vec<(u32, u32, u32)> = customers
            .iter()
            .map(|c| {
                let tx = if c.x > 0.0 {
                    index_of(&txs, c.t_x / scale)
                } else {
                    0
                };
                (index_of(&xs, c.x), index_of(&ts, c.t / scale), tx)
            })
            .collect();
        keys.sort_unstable();
        let mut rows: Vec<(u32, u32, u32, f64)> = Vec::new();
        for k in keys {
            match rows.last_mut() {
                Some(last) if (last.0, last.1, last.2) == k => last.3 += 1.0,
                _ => rows.push((k.0, k.1, k.2, 1.0)),
            }
        }
        let mut xs_w: Vec<(f64, f64)> = xs.iter().map(|&x| (x, 0.0)).collect();
        for row in &rows {
            xs_w[row.0 as usize].1 += row.3;
        }
        Ok(Self {
            total_x: customers.iter().map(|c| c.x).sum(),
            total_w: customers.len() as f64,
            xs: xs_w,
            ts,
            txs,
            rows,
        })
    }

    /// Log-likelihood (FHL05b terms A1..A4) and, if `want_grad`, its gradient with respect to
    /// `(r, α, a, b)`.
    fn eval(&self, p: [f64; 4], want_grad: bool) -> (f64, [f64; 4]) {
        let [r, alpha, a, b] = p;
        let ln_alpha = alpha.ln();
        let mut ll = 0.0;
        let mut g = [0.0; 4];
        // Per distinct x: A1 + A2, their derivatives, and the x-dependent part of A4.
        let (lg_r, lg_b, lg_ab) = (ln_gamma(r), ln_gamma(b), ln_gamma(a + b));
        let (dg_r, dg_b, dg_ab) = if want_grad {
            (digamma(r), digamma(b), digamma(a + b))
        } else {
            (0.0, 0.0, 0.0)
        };
        let mut c4 = vec![0.0; self.xs.len()];
        for (i, &(x, w)) in self.xs.iter().enumerate() {
            if x == 0.0 {
                ll += w * r * ln_alpha;
                if want_grad {
                    g[0] += w * ln_alpha;
                    g[1] += w * r / alpha;
                }
                continue;
            }
            let a1 = ln_gamma(r + x) - lg_r + r * ln_alpha;
            let a2 = lg_ab + ln_gamma(b + x) - lg_b - ln_gamma(a + b + x);
            ll += w * (a1 + a2);
            c4[i] = a.ln() - (b + x - 1.0).ln();
            if want_grad {
                let dg_abx = digamma(a + b + x);
                g[0] += w * (digamma(r + x) - dg_r + ln_alpha);
                g[1] += w * r / alpha;
                g[2] += w * (dg_ab - dg_abx);
                g[3] += w * (dg_ab + digamma(b + x) - dg_b - dg_abx);
            }
        }
        let lt: Vec<f64> = self.ts.iter().map(|&t| (alpha + t).ln()).collect();
        let ltx: Vec<f64> = self.txs.iter().map(|&t| (alpha + t).ln()).collect();
        for &(xi, ti, txi, w) in &self.rows {
            let x = self.xs[xi as usize].0;
            let rx = r + x;
            let l3 = lt[ti as usize];
            let a3 = -rx * l3;
            if x == 0.0 {
                ll += w * a3;
                if want_grad {
                    g[0] -= w * l3;
                    g[1] -= w * rx / (alpha + self.ts[ti as usize]);
                }
                continue;
            }
            let l4 = ltx[txi as usize];
            let a4 = c4[xi as usize] - rx * l4;
            // ln(e^{A3} + e^{A4}) and the weights w3 = e^{A3}/(e^{A3}+e^{A4}), w4 = 1 − w3.
            let (hi, d) = if a3 >= a4 {
                (a3, a4 - a3)
            } else {
                (a4, a3 - a4)
            };
            let e = d.exp();
            ll += w * (hi + e.ln_1p());
            if want_grad {
                let (w3, w4) = if a3 >= a4 {
                    (1.0 / (1.0 + e), e / (1.0 + e))
                } else {
                    (e / (1.0 + e), 1.0 / (1.0 + e))
                };
                let inv3 = 1.0 / (alpha + self.ts[ti as usize]);
                let inv4 = 1.0 / (alpha + self.txs[txi as usize]);
                g[0] -= w * (w3 * l3 + w4 * l4);
                g[1] -= w * rx * (w3 * inv3 + w4 * inv4);
                g[2] += w * w4 / a;
                g[3] -= w * w4 / (b + x - 1.0);
            }
        }
        (ll, g)
    }
}

impl LogModel for BgData {
    fn mean_ll(&self, log_theta: &[f64]) -> Option<(f64, Vec<f64>)> {
        mean_in_logs(log_theta, self.total_w, |p| self.eval(p, true))
    }
}

/// The divisor of times inside a fit: the mean observation window, so that the optimiser sees
/// `α` of order one.
pub(crate) fn time_scale(windows: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = windows.fold((0.0, 0.0), |(s, n), t| (s + t, n + 1.0));
    let mean = sum / n;
    if mean.is_finite() && mean > 0.0 {
        mean
    } else {
        1.0
    }
}

/// Starting points `ln (r, α, a, b)` for BG/NBD-like models whose mean rate `r / α` is
/// `rate` per (scaled) period.
pub(crate) fn visit_model_starts(rate: f64) -> Vec<Vec<f64>> {
    [
        [1.0_f64, 1.0, 1.0, 3.0],
        [0.3, 0.3, 0.8, 2.5],
        [3.0, 3.0, 2.0, 6.0],
        [0.1, 0.1, 0.3, 1.0],
        [10.0, 10.0, 0.5, 10.0],
    ]
    .iter()
    .map(|s| vec![s[0].ln(), (s[1] / rate).ln(), s[2].ln(), s[3].ln()])
    .collect()
}

/// Fits BG/NBD by maximum likelihood (FHL05a eq. 7) with default [`FitOptions`].
pub fn fit_bgnbd(customers: &[Rfm]) -> Result<Fit<BgNbd>, ClvError> {
    fit_bgnbd_with(customers, &FitOptions::default())
}

/// Fits BG/NBD by maximum likelihood.
///
/// Times are divided internally by the mean `T` (so the optimiser sees `α` of order one), the
/// likelihood is evaluated once per distinct `(x, t_x, T)` row with weights, and L-BFGS
/// (argmin, More–Thuente line search, analytic gradient) maximises it over the
/// log-parameters, squashed to `|ln θ| ≤ 18` so every trial point is finite. Several starting
/// points are tried (see [`FitOptions::max_starts`]); a run that does not reach the gradient
/// tolerance is refined with Nelder–Mead and L-BFGS again. A fit whose parameters run to the
/// bound (data with no heterogeneity or a single customer, for instance) is returned with
/// `converged = false` and a message.
///
/// Errors: empty input, an invalid row, [`ClvError::NoRepeatTransactions`], or no finite
/// likelihood from any start.
pub fn fit_bgnbd_with(customers: &[Rfm], opts: &FitOptions) -> Result<Fit<BgNbd>, ClvError> {
    if customers.is_empty() {
        return Err(ClvError::EmptyInput);
    }
    let scale = time_scale(customers.iter().map(|c| c.t));
    let data = BgData::new(customers, scale)?;
    if data.total_x == 0.0 {
        return Err(ClvError::NoRepeatTransactions);
    }
    // Mean repeat rate per (scaled) period; `α` starts at r / rate so that E[λ] matches it.
    let starts = visit_model_starts((data.total_x / data.total_w).max(1e-6));
    let best = optimise(&data, &starts, opts)?;
    let lt = &best.log_theta;
    let params = BgNbd {
        r: lt[0].exp(),
        alpha: lt[1].exp() * scale,
        a: lt[2].exp(),
        b: lt[3].exp(),
    };
    params
        .validate()
        .map_err(|e| ClvError::FitFailed(e.to_string()))?;
    // Rescaling times by `scale` changes the density of the x transaction times by
    // scale^{-x} per customer.
    let log_likelihood = best.mean_ll * data.total_w - data.total_x * scale.ln();
    Ok(best.into_fit(params, log_likelihood, ["r", "alpha", "a", "b"]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::btyd::cdnow::cdnow;
    use crate::metrics::btyd::hyp2f1;
    use crate::metrics::btyd::testkit::{PUBLISHED, assert_gradient, close};

    #[test]
    fn cdnow_bgnbd_fit_matches_published() {
        let rfm: Vec<Rfm> = cdnow().iter().map(|c| c.rfm).collect();
        let fit = fit_bgnbd(&rfm).unwrap();
        let p = fit.params;
        assert!(fit.converged, "{fit:?}");
        close(p.r, 0.243, 0.01);
        close(p.alpha, 4.414, 0.01);
        close(p.a, 0.793, 0.01);
        close(p.b, 2.426, 0.01);
        assert!((fit.log_likelihood - -9582.4).abs() <= 0.1, "{fit:?}");
        let ll_published = PUBLISHED.log_likelihood(&rfm).unwrap();
        assert!((ll_published - -9582.4).abs() <= 0.1, "{ll_published}");
        assert!(fit.log_likelihood >= ll_published);
        // Aggregate holdout forecast: Σ E[Y(39) | history] vs the 1,882 observed.
        let s = cdnow();
        let forecast: f64 = s
            .iter()
            .map(|c| p.conditional_expected_transactions(&c.rfm, 39.0).unwrap())
            .sum();
        // The model under-forecasts this holdout (1,653 vs 1,882 observed; the cohort-level
        // Σ E[X(T+39)] − E[X(T)] gives 1,669): a regression check, not a published figure.
        assert!((forecast - 1653.4).abs() < 1.0, "forecast {forecast}");
        println!(
            "CDNOW BG/NBD: {p:?} LL {:.3} (published params: {ll_published:.3}), {} iters, \
             {} evals, {} starts, |g| {:.1e}, converged {}; holdout forecast {forecast:.1}",
            fit.log_likelihood,
            fit.iterations,
            fit.evaluations,
            fit.starts,
            fit.gradient_norm,
            fit.converged
        );
    }

    #[test]
    fn published_conditional_expectation() {
        let c = Rfm {
            x: 2.0,
            t_x: 30.43,
            t: 38.86,
        };
        let e = PUBLISHED
            .conditional_expected_transactions(&c, 39.0)
            .unwrap();
        assert!((e - 1.226).abs() <= 0.001, "{e}");
        // mpmath with eq. (10) written out: 1.22602817476714444...
        assert!((e - 1.226_028_174_767_144_4).abs() < 1e-12, "{e}");
        // E[X(t)] (eq. 9), mpmath: 1.19672319332081684 (t = 39), 6.58039161373823222 (1000).
        let e39 = PUBLISHED.expected_transactions(39.0).unwrap();
        assert!((e39 - 1.196_723_193_320_817).abs() < 1e-12, "{e39}");
        let e1000 = PUBLISHED.expected_transactions(1000.0).unwrap();
        assert!((e1000 - 6.580_391_613_738_232).abs() < 1e-11, "{e1000}");
        // Other conditional values from mpmath.
        let c0 = Rfm {
            x: 0.0,
            t_x: 0.0,
            t: 38.86,
        };
        let e0 = PUBLISHED
            .conditional_expected_transactions(&c0, 39.0)
            .unwrap();
        assert!((e0 - 0.195_098_052_011_262_64).abs() < 1e-12, "{e0}");
        let c5 = Rfm {
            x: 5.0,
            t_x: 10.0,
            t: 38.86,
        };
        let e5 = PUBLISHED
            .conditional_expected_transactions(&c5, 260.0)
            .unwrap();
        assert!((e5 - 0.356_262_836_528_538_7).abs() < 1e-12, "{e5}");
        // P(alive) from its closed form.
        let pa = PUBLISHED.p_alive(&c).unwrap();
        let direct = 1.0
            / (1.0
                + 0.793 / (2.426 + 1.0)
                    * ((4.414_f64 + 38.86) / (4.414 + 30.43)).powf(0.243 + 2.0));
        assert!((pa - direct).abs() < 1e-14);
        // With T = 0 the conditional expectation is E[X(t)].
        let fresh = Rfm {
            x: 0.0,
            t_x: 0.0,
            t: 0.0,
        };
        let ef = PUBLISHED
            .conditional_expected_transactions(&fresh, 39.0)
            .unwrap();
        assert!((ef - e39).abs() < 1e-14);
    }

    #[test]
    fn expected_transactions_is_continuous_at_a_equal_one() {
        let at = |a: f64| {
            BgNbd { a, ..PUBLISHED }
                .expected_transactions(39.0)
                .unwrap()
        };
        let (lo, mid, hi) = (at(1.0 - 1e-7), at(1.0), at(1.0 + 1e-7));
        assert!(
            (lo - mid).abs() < 1e-7 && (hi - mid).abs() < 1e-7,
            "{lo} {mid} {hi}"
        );
        // Against the hypergeometric formula (eq. 9) away from a = 1.
        let m = BgNbd {
            a: 1.3,
            ..PUBLISHED
        };
        let t = 52.0;
        let f = hyp2f1(m.r, m.b, m.a + m.b - 1.0, t / (m.alpha + t)).unwrap();
        let direct =
            (m.a + m.b - 1.0) / (m.a - 1.0) * (1.0 - (m.alpha / (m.alpha + t)).powf(m.r) * f);
        close(m.expected_transactions(t).unwrap(), direct, 1e-12);
        // a + b < 1 (c ≤ 0 in the direct formula) still works.
        let small = BgNbd {
            a: 0.3,
            b: 0.4,
            ..PUBLISHED
        };
        let v = small.expected_transactions(39.0).unwrap();
        assert!(v.is_finite() && v > 0.0);
    }

    #[test]
    fn analytic_gradients_match_finite_differences() {
        let rfm: Vec<Rfm> = cdnow().iter().map(|c| c.rfm).collect();
        let data = BgData::new(&rfm, 38.0).unwrap();
        let lt = [0.2_f64.ln(), 0.1_f64.ln(), 0.9_f64.ln(), 2.0_f64.ln()];
        assert_gradient(&data, &lt);
    }

    // ---- Robustness -----------------------------------------------------------------------

    fn assert_sane(fit: &Result<Fit<BgNbd>, ClvError>) {
        if let Ok(f) = fit {
            let p = f.params;
            assert!(p.validate().is_ok(), "{f:?}");
            assert!(
                f.log_likelihood.is_finite() && f.gradient_norm.is_finite(),
                "{f:?}"
            );
        }
    }

    #[test]
    fn all_one_time_buyers_is_an_error() {
        let rfm = vec![
            Rfm {
                x: 0.0,
                t_x: 0.0,
                t: 30.0
            };
            100
        ];
        assert_eq!(fit_bgnbd(&rfm), Err(ClvError::NoRepeatTransactions));
        assert_eq!(fit_bgnbd(&[]), Err(ClvError::EmptyInput));
    }

    #[test]
    fn degenerate_data_never_panics() {
        let one = [Rfm {
            x: 3.0,
            t_x: 20.0,
            t: 30.0,
        }];
        let fit = fit_bgnbd(&one);
        assert_sane(&fit);
        if let Ok(f) = &fit {
            assert!(
                !f.converged,
                "one customer cannot identify the model: {f:?}"
            );
        }
        let identical = vec![
            Rfm {
                x: 2.0,
                t_x: 10.0,
                t: 20.0
            };
            500
        ];
        let fit = fit_bgnbd(&identical);
        assert_sane(&fit);
        if let Ok(f) = &fit {
            assert!(
                !f.converged,
                "identical customers cannot identify the model: {f:?}"
            );
        }
        // Zero-length windows for everyone but one repeat buyer.
        let mut zero_t = vec![
            Rfm {
                x: 0.0,
                t_x: 0.0,
                t: 0.0
            };
            50
        ];
        zero_t.push(Rfm {
            x: 1.0,
            t_x: 1.0,
            t: 2.0,
        });
        let fit = fit_bgnbd(&zero_t);
        assert_sane(&fit);
        if let Ok(f) = &fit {
            assert!(!f.converged, "{f:?}");
        }
        // Huge x among ordinary customers.
        let mut huge: Vec<Rfm> = cdnow().iter().map(|c| c.rfm).collect();
        huge.push(Rfm {
            x: 1e6,
            t_x: 38.0,
            t: 38.5,
        });
        let fit = fit_bgnbd(&huge);
        assert_sane(&fit);
        // Iteration budget of one: reported, not hidden.
        let rfm: Vec<Rfm> = cdnow().iter().map(|c| c.rfm).collect();
        let opts = FitOptions {
            max_iters: 1,
            max_starts: 1,
            ..FitOptions::default()
        };
        let f = fit_bgnbd_with(&rfm, &opts).unwrap();
        assert!(!f.converged && f.params.validate().is_ok(), "{f:?}");
    }

    #[test]
    fn invalid_inputs_are_errors() {
        let bad = [
            Rfm {
                x: 1.0,
                t_x: 5.0,
                t: 4.0,
            },
            Rfm {
                x: -1.0,
                t_x: 0.0,
                t: 4.0,
            },
            Rfm {
                x: 1.5,
                t_x: 1.0,
                t: 4.0,
            },
            Rfm {
                x: 1.0,
                t_x: f64::NAN,
                t: 4.0,
            },
        ];
        for c in bad {
            assert!(matches!(
                fit_bgnbd(&[c]),
                Err(ClvError::InvalidInput { index: 0, .. })
            ));
            assert!(PUBLISHED.p_alive(&c).is_err());
            assert!(
                PUBLISHED
                    .conditional_expected_transactions(&c, 1.0)
                    .is_err()
            );
        }
        let ok = Rfm {
            x: 1.0,
            t_x: 1.0,
            t: 2.0,
        };
        assert!(
            PUBLISHED
                .conditional_expected_transactions(&ok, -1.0)
                .is_err()
        );
        assert!(PUBLISHED.expected_transactions(f64::INFINITY).is_err());
        assert!(BgNbd::new(0.0, 1.0, 1.0, 1.0).is_err());
        assert!(
            BgNbd {
                r: f64::NAN,
                ..PUBLISHED
            }
            .p_alive(&ok)
            .is_err()
        );
    }

    #[test]
    fn extreme_customers_give_finite_predictions() {
        let cases = [
            Rfm {
                x: 1e6,
                t_x: 38.0,
                t: 39.0,
            },
            Rfm {
                x: 1e6,
                t_x: 1.0,
                t: 39.0,
            },
            Rfm {
                x: 0.0,
                t_x: 0.0,
                t: 0.0,
            },
            Rfm {
                x: 5.0,
                t_x: 0.0,
                t: 0.0,
            },
            Rfm {
                x: 1.0,
                t_x: 1e7,
                t: 1e7,
            },
        ];
        for c in cases {
            let pa = PUBLISHED.p_alive(&c).unwrap();
            assert!((0.0..=1.0).contains(&pa), "{c:?}: {pa}");
            for t in [0.0, 1.0, 39.0, 520.0] {
                let e = PUBLISHED.conditional_expected_transactions(&c, t).unwrap();
                assert!(e.is_finite() && e >= 0.0, "{c:?} t={t}: {e}");
            }
        }
        // A very active customer with a recent purchase expects about (r+x)/(α+T) per period
        // while alive.
        let busy = Rfm {
            x: 1e6,
            t_x: 39.0,
            t: 39.0,
        };
        let e = PUBLISHED
            .conditional_expected_transactions(&busy, 1.0)
            .unwrap();
        assert!(e > 1e3, "{e}");
        let far = Rfm {
            x: 1e6,
            t_x: 1.0,
            t: 39.0,
        };
        assert!(PUBLISHED.p_alive(&far).unwrap() < 1e-100);
    }

    #[test]
    fn expectations_at_the_no_drop_out_boundary_are_finite_and_continuous() {
        // Parameters from a fit where nobody seemed to drop out.
        let m = BgNbd::new(3.886, 4.883, 20_417.4, 6_782_205.6).unwrap();
        let c = Rfm {
            x: 89.0,
            t_x: 90.3,
            t: 104.1,
        };
        let e = m.conditional_expected_transactions(&c, 52.18).unwrap();
        // Close to the NBD rate (r+x)/(alpha+T) per week times P(alive).
        let nbd = (3.886 + 89.0) / (4.883 + 104.1) * 52.18 * m.p_alive(&c).unwrap();
        assert!(e > 0.9 * nbd && e <= nbd * 1.0001, "{e} {nbd}");
        // And continuous with the exact series where that still works.
        let exact = BgNbd::new(3.886, 4.883, 9_000.0, 3_000_000.0).unwrap();
        let small = Rfm {
            x: 3.0,
            t_x: 50.0,
            t: 104.1,
        };
        let v1 = exact
            .conditional_expected_transactions(&small, 52.18)
            .unwrap();
        let v2 = BgNbd::new(3.886, 4.883, 20_417.4, 6_782_205.6)
            .unwrap()
            .conditional_expected_transactions(&small, 52.18)
            .unwrap();
        assert!((v1 / v2 - 1.0).abs() < 0.01, "{v1} {v2}");
    }
}
